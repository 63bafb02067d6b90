// Stays for source compatibility: the header moved to tofu/qt/models/model_roles.h.
#pragma once
#include "tofu/qt/models/model_roles.h"
