// Terminal-safe text: what tofu-cli prints that came from a peer (message headers and
// bodies, telemetry snapshots, an endpoint's error text) goes through here, so that a peer
// cannot move the cursor, retitle the window or hide output on the operator's terminal.
// Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

namespace tofu::cli {

enum class NonAscii {
  keepUtf8,  // valid UTF-8 outside C1 stays as it is (names, paths in other scripts)
  escape,    // every byte outside printable ASCII is escaped (one-line message format)
};

// Appends `bytes` with C0 controls, DEL, C1 controls (U+0080..U+009F) and bytes that are not
// valid UTF-8 written as `\xNN` (one per byte), `\n` `\r` `\t` as such, and `\` as `\\`.
// With `escapeSpace`, a space is `\x20` too.
void appendTerminalSafe(std::string& out, std::string_view bytes, NonAscii nonAscii = NonAscii::keepUtf8,
                        bool escapeSpace = false);

// The same, returned.
std::string terminalSafe(std::string_view bytes, NonAscii nonAscii = NonAscii::keepUtf8);

// A JSON text that the JSON reader accepted, with DEL and C1 controls (legal raw inside JSON
// strings) written as `\u007f` .. `\u009f`: the same JSON value, nothing a terminal obeys.
// C0 controls cannot be raw in valid JSON.
std::string terminalSafeJson(std::string_view json);

}  // namespace tofu::cli
