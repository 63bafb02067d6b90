#!/usr/bin/env python3
"""Checks resources/wireshark/tofu.lua against real and hand-made tofu traffic.

  wireshark_test.py vectors --dissector tofu.lua --status-source engine/src/vocabulary/status.cpp
      Dissects a capture file built here from WIRE-VECTORS.md (V1b, V2 split over two TCP
      segments, V3-V7) plus one Signal per status value, and checks every decoded field:
      byte order, proto bits, the 32 status names as engine/src/vocabulary/status.cpp spells them,
      text headers, body, reassembly. Needs tshark only (no capture rights).

  wireshark_test.py capture --dissector tofu.lua --cli tofu-cli
      Captures loopback traffic (dumpcap -i lo -f "tcp port P") between `tofu-cli listen
      --echo` and `tofu-cli send`, then checks that the dissector decodes the opcode
      sequence, the message ids tofu-cli printed, the text headers, the body, and a frame of
      about 120 KB that TCP must split into several segments.

  wireshark_test.py capture --tls --dissector tofu.lua --cli tofu-cli
      The same over TLS (tls|127.0.0.1|P, a certificate made here with the openssl command):
      the sender writes its TLS secrets to the file SSLKEYLOGFILE names, and tshark decrypts
      with it (tls.keylog_file) before the dissector reads the frames (tofu.tls_ports).

Exit status: 0 pass, 1 fail (with the reason), 77 skip (no tshark, or capturing not allowed).
"""
import argparse
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree

SKIP = 77


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


# ---- Reading tshark's PDML ----

class Frame:
    """One dissected tofu frame: field name -> list of PDML <field> elements (in order)."""

    def __init__(self, element, packet):
        self.packet = packet
        self.fields = {}
        for field in element.iter("field"):
            self.fields.setdefault(field.get("name"), []).append(field)

    def show(self, name):
        return self.fields[name][0].get("show")

    def showname(self, name):
        return self.fields[name][0].get("showname")

    def number(self, name):
        return int(self.show(name), 0)

    def opcode(self):
        match = re.search(r"OpCode: (\w+) \(", self.showname("tofu.opcode"))
        return match.group(1) if match else None

    def status_name(self):
        match = re.match(r"Status: (\S+) \(", self.showname("tofu.status"))
        return match.group(1) if match else None

    def headers(self):
        return [field.get("show") for field in self.fields.get("tofu.header", [])]

    def body(self):
        fields = self.fields.get("tofu.body")
        return bytes.fromhex(fields[0].get("value")) if fields else b""


class Packet:
    def __init__(self, element):
        self.number = None
        self.src_port = self.dst_port = None
        self.segment_count = 1
        for field in element.iter("field"):
            name = field.get("name")
            if name == "frame.number":
                self.number = int(field.get("show"))
            elif name == "tcp.srcport":
                self.src_port = int(field.get("show"))
            elif name == "tcp.dstport":
                self.dst_port = int(field.get("show"))
            elif name in ("tcp.segment.count", "tls.segment.count"):  # TLS: records reassembled
                self.segment_count = max(self.segment_count, int(field.get("show")))
        self.frames = [Frame(proto, self) for proto in element.findall("proto") if proto.get("name") == "tofu"]


def dissect(capture, dissector, port, key_log=None):
    ports = ["-o", f"tofu.tcp_ports:{port}"] if key_log is None else \
        ["-o", f"tofu.tls_ports:{port}", "-o", f"tls.keylog_file:{key_log}"]
    result = subprocess.run(
        ["tshark", "-n", "-r", capture, "-X", f"lua_script:{dissector}", *ports,
         "-o", "tcp.check_checksum:FALSE", "-T", "pdml"],
        capture_output=True, timeout=120)
    check(result.returncode == 0, f"tshark failed: {result.stderr.decode(errors='replace')}")
    check(b"Lua: Error" not in result.stderr and b"lua_script" not in result.stderr,
          f"the dissector did not load: {result.stderr.decode(errors='replace')}")
    packets = [Packet(element) for element in ElementTree.fromstring(result.stdout).findall("packet")]
    return [frame for packet in packets for frame in packet.frames]


# ---- vectors: a hand-made capture ----

def tcp_packet(payload, seq, src_port, dst_port):
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 1, 0, 64, 6, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    tcp = struct.pack(">HHIIBBHHH", src_port, dst_port, seq, 1, 5 << 4, 0x18, 65535, 0, 0)
    return b"\0" * 12 + b"\x08\x00" + ip + tcp + payload


def write_pcap(path, segments, src_port, dst_port):
    data = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)  # Ethernet
    seq = 1
    for index, segment in enumerate(segments):
        packet = tcp_packet(segment, seq, src_port, dst_port)
        seq += len(segment)
        data += struct.pack("<IIII", 1700000000 + index, 0, len(packet), len(packet)) + packet
    with open(path, "wb") as out:
        out.write(data)


def frame(channel, proto, status, message_id, headers=b"", body=b""):
    return struct.pack(">HBBQHH", channel, proto, status, message_id, len(headers), len(body)) + headers + body


def status_names(status_source):
    # engine/src/vocabulary/status.cpp: {"name", "ErrorName", "sentence"}, one per value in order.
    with open(status_source) as source:
        names = re.findall(r'^\s*\{"(\w+)", "\w*",', source.read(), re.MULTILINE)
    check(len(names) == 32, f"found {len(names)} status names in {status_source}, expected 32")
    return names


def run_vectors(args):
    port = 7099
    connect_to = b"~connect_to:tcp|127.0.0.1|7099\r\n"
    v1b = bytes.fromhex("12340300000000000000000100200000") + connect_to
    v2 = bytes.fromhex("00052000000000000000002a00000005") + b"hello"
    v3 = bytes.fromhex("00050500000000000000002b00000000")
    v4 = bytes.fromhex("2b670400000000000000000100000000")
    v5 = bytes.fromhex("2b670600000000000000002b00000000")
    v6 = bytes.fromhex("00050200000000000000000700000000")
    # V7's header with sections of the sizes it announces (0x5678 and 0x9ABC bytes).
    v7 = bytes.fromhex("123400ffaabbccddeeff001156789abc") + b"h" * 0x5678 + b"b" * 0x9ABC
    # PROTOCOL.md 2.6 reader rules: empty record skipped, value trimmed, no-colon record,
    # an empty name ends the iteration.
    tolerant = frame(9, 0, 0, 8, b"a: b\r\n\r\nc\r\nd:e:f \t\r\n: ss\r\nnot:shown\r\n")
    statuses = [frame(5, 0x02, value, 100 + value) for value in range(32)]
    segments = [v1b, v2[:10], v2[10:] + v3, v4 + v5 + v6, v7[:30000], v7[30000:], tolerant, b"".join(statuses)]

    with tempfile.TemporaryDirectory() as directory:
        capture = os.path.join(directory, "vectors.pcap")
        write_pcap(capture, segments, 40000, port)
        frames = dissect(capture, args.dissector, port)

    check(len(frames) == 8 + 32, f"expected 40 tofu frames, got {len(frames)}")
    hello, request, bye, hello_response, bye_response, signal_frame, codec, odd = frames[:8]

    check(hello.number("tofu.channel") == 0x1234, "V1b channel")
    check(hello.opcode() == "HelloRequest" and hello.number("tofu.message_id") == 1, "V1b opcode/id")
    check(hello.number("tofu.headers_len") == 32 and hello.number("tofu.body_len") == 0, "V1b lengths")
    check(hello.headers() == ["~connect_to:tcp|127.0.0.1|7099"], f"V1b headers {hello.headers()}")
    check(hello.show("tofu.header.name") == "~connect_to" and hello.show("tofu.header.value") == "tcp|127.0.0.1|7099",
          "V1b header name/value")

    check(request.packet.segment_count == 2, "V2 was not reassembled from two segments")
    check(request.opcode() == "Request" and request.number("tofu.channel") == 5, "V2 opcode/channel")
    check(request.number("tofu.more") == 1 and request.number("tofu.origin") == 0, "V2 proto bits")
    check(request.number("tofu.message_id") == 42 and request.body() == b"hello", "V2 id/body")

    for got, opcode, channel, message_id in [(bye, "ByeRequest", 5, 43), (hello_response, "HelloResponse", 0x2B67, 1),
                                             (bye_response, "ByeResponse", 0x2B67, 43), (signal_frame, "Signal", 5, 7)]:
        check(got.opcode() == opcode, f"{opcode}: decoded as {got.opcode()}")
        check(got.number("tofu.channel") == channel and got.number("tofu.message_id") == message_id,
              f"{opcode}: channel/id")
        check(got.number("tofu.more") == 0 and got.number("tofu.body_len") == 0, f"{opcode}: more/body")

    check(codec.packet.segment_count == 2, "V7 was not reassembled from two segments")
    check(codec.number("tofu.channel") == 0x1234 and codec.number("tofu.status") == 0xFF, "V7 channel/status")
    check(codec.number("tofu.message_id") == 0xAABBCCDDEEFF0011, f"V7 message id {codec.show('tofu.message_id')}")
    check(codec.number("tofu.headers_len") == 0x5678 and codec.number("tofu.body_len") == 0x9ABC, "V7 lengths")
    check(codec.body() == b"b" * 0x9ABC, "V7 body")

    check(odd.headers() == ["a:b", "c:", "d:e:f"], f"tolerant header reading: {odd.headers()}")

    for value, (got, name) in enumerate(zip(frames[8:], status_names(args.status_source))):
        check(got.opcode() == "Signal" and got.number("tofu.message_id") == 100 + value, f"status frame {value}")
        check(got.number("tofu.status") == value and got.status_name() == name,
              f"status {value}: decoded as {got.status_name()}, engine says {name}")
    print(f"PASS: {len(frames)} frames decoded as WIRE-VECTORS.md and status.cpp say")


# ---- capture: real traffic between two tofu-cli processes ----

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_capture(port, capture):
    dumpcap = subprocess.Popen(["dumpcap", "-i", "lo", "-f", f"tcp port {port}", "-w", capture],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # dumpcap says "Capturing on 'Loopback: lo'" once the filter is in place.
    stderr = ""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        line = dumpcap.stderr.readline()
        if not line:
            break  # exited
        stderr += line
        if line.startswith("Capturing on"):
            return dumpcap
    dumpcap.kill()
    dumpcap.wait()
    if "ermission" in stderr or "not permitted" in stderr or os.geteuid() != 0:
        skip(f"capturing on lo is not allowed here: {stderr.strip()}")
    raise Failure(f"dumpcap did not start: {stderr.strip()}")


def wait_first_line(path, process):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        with open(path) as log:
            line = log.readline()
        if line.endswith("\n"):
            return line.strip()
        time.sleep(0.05)
    return None


def send(cli, address, *arguments, env=None):
    result = subprocess.run([cli, "send", address, *arguments], capture_output=True, text=True, timeout=60,
                            env=env)
    check(result.returncode == 0, f"tofu-cli send failed ({result.returncode}): {result.stderr}")
    ids = [int(match) for match in re.findall(r"^response id=(\d+) more=0 ", result.stdout, re.MULTILINE)]
    return ids


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1 (EC P-256) and its key, made by the openssl command."""
    certificate, key = os.path.join(directory, "server.pem"), os.path.join(directory, "server.key")
    result = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                             "-nodes", "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=tofu test",
                             "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, text=True, timeout=60)
    check(result.returncode == 0, f"openssl failed: {result.stderr}")
    return certificate, key


def run_capture(args):
    if shutil.which("dumpcap") is None:
        skip("dumpcap is not installed")
    port = free_port()
    address = f"{'tls' if args.tls else 'tcp'}|127.0.0.1|{port}"
    with tempfile.TemporaryDirectory() as directory:
        capture = os.path.join(directory, "tofu.pcapng")
        key_log = os.path.join(directory, "keys.log") if args.tls else None
        listen_options, send_options, send_env = [], [], None
        if args.tls:
            certificate, key = make_certificate(directory)
            listen_options = ["--cert", certificate, "--key", key]
            send_options = ["--ca", certificate]
            send_env = dict(os.environ, SSLKEYLOGFILE=key_log)
        dumpcap = start_capture(port, capture)
        listener = None
        try:
            # stdout to a file: the listener prints every frame, and a pipe nobody reads fills up.
            listen_log = os.path.join(directory, "listen.txt")
            with open(listen_log, "w") as log:
                listener = subprocess.Popen([args.cli, "listen", address, "--echo", *listen_options], stdout=log)
            first = wait_first_line(listen_log, listener)
            check(first == f"listening {address}", f"tofu-cli listen said {first!r}")
            small_ids = send(args.cli, address, "--count", "3", "--body", "hi", "--header", "trace:abc",
                             "--header", "lang:en", *send_options, env=send_env)
            check(len(small_ids) == 3, f"tofu-cli send printed {small_ids}")
            # Text headers and body of 60000 bytes each: one frame of about 120 KB, more than a
            # loopback segment (MTU 65536) or a TLS record (16 KiB) holds, so it is split.
            big_value = "v" * 60000
            big_ids = send(args.cli, address, "--count", "1", "--body", "b" * 60000, "--header", f"big:{big_value}",
                           *send_options, env=send_env)
            check(len(big_ids) == 1, f"tofu-cli send (big) printed {big_ids}")
        finally:
            if listener:
                listener.send_signal(signal.SIGTERM)
                try:
                    listener.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    listener.kill()
                    listener.wait()
            time.sleep(0.5)  # let dumpcap write the last packets
            dumpcap.send_signal(signal.SIGINT)
            dumpcap.wait(timeout=10)
        frames = dissect(capture, args.dissector, port, key_log)

    to_server = [frame for frame in frames if frame.packet.dst_port == port]
    to_client = [frame for frame in frames if frame.packet.src_port == port]
    sent_ops = [frame.opcode() for frame in to_server]
    answer_ops = [frame.opcode() for frame in to_client]
    expected_sent = ["HelloRequest", "Request", "Request", "Request", "ByeRequest", "HelloRequest", "Request", "ByeRequest"]
    expected_answers = ["HelloResponse", "Response", "Response", "Response", "ByeResponse",
                        "HelloResponse", "Response", "ByeResponse"]
    check(sent_ops == expected_sent, f"client frames decoded as {sent_ops}")
    check(answer_ops == expected_answers, f"server frames decoded as {answer_ops}")

    requests = [frame for frame in to_server if frame.opcode() == "Request"]
    responses = [frame for frame in to_client if frame.opcode() == "Response"]
    request_ids = [frame.number("tofu.message_id") for frame in requests]
    response_ids = [frame.number("tofu.message_id") for frame in responses]
    check(request_ids == small_ids + big_ids, f"Request ids {request_ids}, tofu-cli printed {small_ids + big_ids}")
    check(response_ids == request_ids, f"Response ids {response_ids}")

    hello = to_server[0]
    check(hello.headers() == [f"~connect_to:{address}"], f"HelloRequest headers {hello.headers()}")
    for frame in requests[:3] + responses[:3]:
        check(frame.headers() == ["trace:abc", "lang:en"], f"headers {frame.headers()}")
        check(frame.body() == b"hi" and frame.number("tofu.body_len") == 2, f"body {frame.body()!r}")
        check(frame.number("tofu.status") == 0 and frame.number("tofu.origin") == 0, "status/origin on the wire")
    for frame in (requests[3], responses[3]):
        check(frame.packet.segment_count >= 2,
              f"the 120 KB frame came in {frame.packet.segment_count} segment(s); expected reassembly")
        check(frame.number("tofu.body_len") == 60000 and len(frame.body()) == 60000, "big body length")
        check(frame.number("tofu.headers_len") == len("big:") + 60000 + 2, "big headers length")
        check(frame.headers() == [f"big:{big_value}"], "big header value")
    print(f"PASS: {len(frames)} frames on port {port}; ids {request_ids}; "
          f"big frame reassembled from {requests[3].packet.segment_count} segments")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["vectors", "capture"])
    parser.add_argument("--dissector", required=True)
    parser.add_argument("--status-source")
    parser.add_argument("--cli")
    parser.add_argument("--tls", action="store_true", help="capture: over TLS, decrypted with the key log")
    args = parser.parse_args()
    if shutil.which("tshark") is None:
        skip("tshark is not installed")
    try:
        run_vectors(args) if args.mode == "vectors" else run_capture(args)
    except Failure as failure:
        print(f"FAIL: {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
