// Stays for source compatibility: the header moved to tofu/qt/models/traffic_record.h.
#pragma once
#include "tofu/qt/models/traffic_record.h"
