// Stays for source compatibility: the header moved to tofu/qt/models/channel_table_model.h.
#pragma once
#include "tofu/qt/models/channel_table_model.h"
