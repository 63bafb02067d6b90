# Monitor core tests (tofu_monitor_core): models and filters driven with known traffic, capture
# round trips, and the live sources against a real tofu-cli.
set(MONITOR_CORE_TESTS
  telemetry_json content_store timeline_model rate_series correlation_model engine_list_model
  message_filter capture session demo_scene time_format log_export)
foreach(test IN LISTS MONITOR_CORE_TESTS)
  tofu_add_qtest(tst_${test} SOURCES tst_${test}.cpp core_test_events.h fake_source.h LABEL monitor TIMEOUT 60 LIBS tofu_monitor_core)
endforeach()

# These two start tofu-cli processes.
foreach(test IN ITEMS telemetry_source workbench)
  tofu_add_qtest(tst_${test} SOURCES tst_${test}.cpp cli_listener.h LABEL monitor TIMEOUT 90 LIBS tofu_monitor_core)
  add_dependencies(tst_${test} tofu-cli)
  target_compile_definitions(tst_${test} PRIVATE TOFU_CLI_PATH="$<TARGET_FILE:tofu-cli>")
endforeach()

# The pcapng export is decoded with tshark and the project's dissector.
target_compile_definitions(tst_log_export PRIVATE TOFU_DISSECTOR_PATH="${PROJECT_SOURCE_DIR}/resources/wireshark/tofu.lua")

# The million-event replay writes and reads a file of about 300 MB: wall time on a busy machine
# is several times its CPU time (which the test itself bounds).
set_tests_properties(tst_capture PROPERTIES TIMEOUT 240)

# Over TLS, with certificates made at test time by the `openssl` command.
if(TOFU_WITH_TLS)
  tofu_add_qtest(tst_telemetry_source_tls SOURCES tst_telemetry_source_tls.cpp LABEL monitor TIMEOUT 60
                 LIBS tofu_monitor_core tofu_test_tls_certificates)
endif()
