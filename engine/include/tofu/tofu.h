// The whole public engine API in one include.
#pragma once

#include "tofu/address.h"
#include "tofu/ampe.h"
#include "tofu/byte_buffer.h"
#include "tofu/channel_group.h"
#include "tofu/introspection.h"
#include "tofu/message.h"
#include "tofu/options.h"
#include "tofu/reactor.h"
#include "tofu/result.h"
#include "tofu/status.h"
#include "tofu/test_helpers.h"
#include "tofu/text_headers.h"
#include "tofu/version.h"
#include "tofu/wire_format.h"
