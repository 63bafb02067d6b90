// Stays for source compatibility: the header moved to tofu/qt/models/traffic_model.h.
#pragma once
#include "tofu/qt/models/traffic_model.h"
