-- tofu.lua: Wireshark dissector for the tofu wire format (docs/wire-format.md,
-- PROTOCOL.md section 2). A frame is a 16-byte big-endian binary header, then
-- text_headers_len bytes of `name:value\r\n` records, then body_len bytes of body.
--
-- tofu has no magic number and no registered port, so Wireshark cannot recognise it on its
-- own. Tell it where to look, in one of three ways (see README.md next to this file):
--   * the "TCP ports" preference:   -o "tofu.tcp_ports:7099,40000-40010"
--   * Decode As:                    -d "tcp.port==7099,tofu"
--   * the heuristic (off by default, it can misfire on other protocols): -o "tofu.heuristic:TRUE"
-- Over TLS (tls|HOST|PORT), the "TLS ports" preference hands those TCP ports to the TLS
-- dissector and what it decrypts to tofu; decrypting needs the key log the engine writes
-- (SSLKEYLOGFILE): -o "tofu.tls_ports:7443" -o "tls.keylog_file:/tmp/keys.log"
-- Frames split across TCP segments (or several frames in one segment) are reassembled
-- with dissect_tcp_pdus; "Allow subdissector to reassemble TCP streams" must stay on.

local tofu = Proto("tofu", "tofu messaging protocol")

local HEADER_SIZE = 16

-- PROTOCOL.md 2.4; 8 and 9 never travel on the wire, 10..15 are invalid.
local opcode_names = {
  [0] = "Request", [1] = "Response", [2] = "Signal",
  [3] = "HelloRequest", [4] = "HelloResponse",
  [5] = "ByeRequest", [6] = "ByeResponse", [7] = "ByeSignal",
  [8] = "WelcomeRequest", [9] = "WelcomeResponse",
}

-- PROTOCOL.md 6.1, spelled as tofu::toString(Status) spells them (typo at 11 included).
local status_names = {
  [0] = "success", [1] = "not_implemented_yet", [2] = "wrong_address", [3] = "not_allowed",
  [4] = "null_message", [5] = "invalid_message", [6] = "invalid_op_code",
  [7] = "invalid_headers_len", [8] = "invalid_body_len", [9] = "invalid_more_usage",
  [10] = "invalid_channel_number", [11] = "invelid_mchn_group", [12] = "invalid_message_id",
  [13] = "invalid_address", [14] = "uds_path_not_found", [15] = "notification_disabled",
  [16] = "notification_failed", [17] = "peer_disconnected", [18] = "communication_failed",
  [19] = "pool_empty", [20] = "allocation_failed", [21] = "receiver_update",
  [22] = "channel_closed", [23] = "shutdown_started", [24] = "connect_failed",
  [25] = "listen_failed", [26] = "accept_failed", [27] = "send_failed", [28] = "recv_failed",
  [29] = "setsockopt_failed", [30] = "processing_failed", [31] = "unknown_error",
}

local origin_names = { [0] = "application", [1] = "engine" }

local f = tofu.fields
f.channel = ProtoField.uint16("tofu.channel", "Channel number", base.DEC)
f.proto = ProtoField.uint8("tofu.proto", "Proto", base.HEX)
f.opcode = ProtoField.uint8("tofu.opcode", "OpCode", base.DEC, opcode_names, 0x0F)
f.origin = ProtoField.uint8("tofu.origin", "Origin", base.DEC, origin_names, 0x10)
f.more = ProtoField.bool("tofu.more", "More", 8, nil, 0x20)
f.bit_a = ProtoField.bool("tofu.bit_a", "Internal bit A", 8, nil, 0x40)
f.bit_b = ProtoField.bool("tofu.bit_b", "Internal bit B", 8, nil, 0x80)
f.status = ProtoField.uint8("tofu.status", "Status", base.DEC, status_names)
f.message_id = ProtoField.uint64("tofu.message_id", "Message id", base.DEC)
f.headers_len = ProtoField.uint16("tofu.headers_len", "Text headers length", base.DEC)
f.body_len = ProtoField.uint16("tofu.body_len", "Body length", base.DEC)
f.headers = ProtoField.bytes("tofu.headers", "Text headers", base.NONE)
f.header = ProtoField.string("tofu.header", "Header")
f.header_name = ProtoField.string("tofu.header.name", "Name")
f.header_value = ProtoField.string("tofu.header.value", "Value")
f.body = ProtoField.bytes("tofu.body", "Body")

local e_invalid_opcode = ProtoExpert.new("tofu.invalid_opcode", "OpCode not valid on the wire",
  expert.group.MALFORMED, expert.severity.WARN)
tofu.experts = { e_invalid_opcode }

tofu.prefs.tcp_ports = Pref.range("TCP ports", "", "TCP ports (and ranges, e.g. 7099,40000-40010) carrying tofu", 65535)
tofu.prefs.tls_ports = Pref.range("TLS ports", "",
  "TCP ports (and ranges) carrying tofu inside TLS; set tls.keylog_file to the engine's key log too", 65535)
tofu.prefs.heuristic = Pref.bool("Heuristic", false,
  "Also try tofu on any TCP stream whose first 16 bytes look like a tofu header")

-- The text-header section, record by record, with the reader rules of PROTOCOL.md 2.6:
-- empty records are skipped, a record splits at its first ':', the value is trimmed of
-- spaces and tabs, a record without ':' is a name with an empty value, an empty name ends
-- the iteration, and a last record without CR LF still counts.
local function add_text_headers(tvb, tree)
  local section = tvb:raw()
  local position = 1
  while position <= #section do
    local cr = section:find("\r\n", position, true)
    local last = cr and cr - 1 or #section
    local record = section:sub(position, last)
    local record_range = tvb(position - 1, last - position + 1 + (cr and 2 or 0))
    if #record > 0 then
      local colon = record:find(":", 1, true)
      local name = colon and record:sub(1, colon - 1) or record
      if #name == 0 then
        break
      end
      local value = colon and record:sub(colon + 1):gsub("^[ \t]+", ""):gsub("[ \t]+$", "") or ""
      local item = tree:add(f.header, record_range, name .. ":" .. value)
      item:add(f.header_name, tvb(position - 1, #name), name)
      if colon then
        item:add(f.header_value, tvb(position + colon - 1, #record - colon), value)
      end
    end
    position = last + 3
  end
end

-- Total length of the frame starting at `offset`: 16 + text_headers_len + body_len.
local function frame_length(tvb, pinfo, offset)
  return HEADER_SIZE + tvb(offset + 12, 2):uint() + tvb(offset + 14, 2):uint()
end

-- One complete frame.
local function dissect_frame(tvb, pinfo, tree)
  local proto_byte = tvb(2, 1):uint()
  local opcode = bit.band(proto_byte, 0x0F)
  local more = bit.band(proto_byte, 0x20) ~= 0
  local channel = tvb(0, 2):uint()
  local message_id = tvb(4, 8):uint64()
  local headers_len = tvb(12, 2):uint()
  local body_len = tvb(14, 2):uint()
  local opcode_name = opcode_names[opcode] or ("invalid(" .. opcode .. ")")

  local summary = string.format("%s ch=%d id=%s%s", opcode_name, channel, tostring(message_id),
    more and " more" or "")
  local root = tree:add(tofu, tvb(), "tofu, " .. summary)

  root:add(f.channel, tvb(0, 2))
  local proto_item = root:add(f.proto, tvb(2, 1))
  local opcode_item = proto_item:add(f.opcode, tvb(2, 1))
  proto_item:add(f.origin, tvb(2, 1))
  proto_item:add(f.more, tvb(2, 1))
  proto_item:add(f.bit_a, tvb(2, 1))
  proto_item:add(f.bit_b, tvb(2, 1))
  if opcode > 7 then
    opcode_item:add_proxy_expert_info(e_invalid_opcode)
  end
  root:add(f.status, tvb(3, 1))
  root:add(f.message_id, tvb(4, 8))
  root:add(f.headers_len, tvb(12, 2))
  root:add(f.body_len, tvb(14, 2))
  if headers_len > 0 then
    local headers_tvb = tvb(HEADER_SIZE, headers_len):tvb()
    local headers_tree = root:add(f.headers, tvb(HEADER_SIZE, headers_len))
    headers_tree:set_text(string.format("Text headers (%d bytes)", headers_len))
    add_text_headers(headers_tvb, headers_tree)
  end
  if body_len > 0 then
    root:add(f.body, tvb(HEADER_SIZE + headers_len, body_len))
  end

  pinfo.cols.protocol = "tofu"
  -- Several frames can share one TCP segment: list them all in the Info column.
  local info = tostring(pinfo.cols.info)
  if info:sub(1, 5) == "tofu:" then
    pinfo.cols.info:append(" | " .. summary)
  else
    pinfo.cols.info:set("tofu: " .. summary)
  end
  return tvb:len()
end

function tofu.dissector(tvb, pinfo, tree)
  dissect_tcp_pdus(tvb, tree, HEADER_SIZE, frame_length, dissect_frame, true)
  return tvb:len()
end

-- Plausible header at the start of a segment: a channel number tofu allocates (1..65534), a
-- wire opcode (0..7), origin 0 and bits 6-7 clear, status 0 (a tofu sender always sends
-- 0), and text headers on a HelloRequest (its address).
local function looks_like_tofu(tvb, pinfo, tree)
  if not tofu.prefs.heuristic or tvb:len() < HEADER_SIZE then
    return false
  end
  local channel = tvb(0, 2):uint()
  local proto_byte = tvb(2, 1):uint()
  local opcode = bit.band(proto_byte, 0x0F)
  if channel == 0 or channel == 0xFFFF or bit.band(proto_byte, 0xD0) ~= 0 or opcode > 7
      or tvb(3, 1):uint() ~= 0 or (opcode == 3 and tvb(12, 2):uint() == 0) then
    return false
  end
  pinfo.conversation = tofu
  tofu.dissector(tvb, pinfo, tree)
  return true
end

local tcp_port_table = DissectorTable.get("tcp.port")
tcp_port_table:add_for_decode_as(tofu)
tofu:register_heuristic("tcp", looks_like_tofu)

-- Decrypted TLS application data goes to the dissector its "tls.port" entry names.
local tls_port_table = DissectorTable.get("tls.port")
tls_port_table:add_for_decode_as(tofu)
local tls = Dissector.get("tls")

local registered_ports = ""
local registered_tls_ports = ""
function tofu.prefs_changed()
  if registered_ports ~= "" then
    tcp_port_table:remove(registered_ports, tofu)
  end
  registered_ports = tofu.prefs.tcp_ports
  if registered_ports ~= "" then
    tcp_port_table:add(registered_ports, tofu)
  end
  if registered_tls_ports ~= "" then
    tcp_port_table:remove(registered_tls_ports, tls)
    tls_port_table:remove(registered_tls_ports, tofu)
  end
  registered_tls_ports = tofu.prefs.tls_ports
  if registered_tls_ports ~= "" then
    tcp_port_table:add(registered_tls_ports, tls)
    tls_port_table:add(registered_tls_ports, tofu)
  end
end

-- tofu-monitor's pcapng export (File > Export log): one whole tofu frame per packet under link
-- type USER0 (147), the engine as the interface name, the direction in the packet flags. Such
-- packets need no TCP and no port preference; a packet cut short holds a preview only.
local tofu_export = Proto("tofu_export", "tofu frames exported by tofu-monitor")
function tofu_export.dissector(tvb, pinfo, tree)
  if tvb:len() < HEADER_SIZE then
    return 0
  end
  return dissect_frame(tvb, pinfo, tree)
end
DissectorTable.get("wtap_encap"):add(wtap.USER0, tofu_export)
