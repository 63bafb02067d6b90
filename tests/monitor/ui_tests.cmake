# Monitor widget tests (views and the executable); every one runs offscreen.
tofu_add_qtest(tst_log_view SOURCES tst_log_view.cpp ui_test_support.h LABEL monitor TIMEOUT 60 LIBS tofu_monitor_views)
tofu_add_qtest(tst_message_detail SOURCES tst_message_detail.cpp ui_test_support.h LABEL monitor TIMEOUT 60
               LIBS tofu_monitor_views)
tofu_add_qtest(tst_attach_dialog SOURCES tst_attach_dialog.cpp ui_test_support.h LABEL monitor TIMEOUT 60
               LIBS tofu_monitor_views)
tofu_add_qtest(tst_main_window SOURCES tst_main_window.cpp ui_test_support.h LABEL monitor TIMEOUT 120
               LIBS tofu_monitor_views)

if(TARGET tofu-cli)
  tofu_add_qtest(tst_workbench_panel SOURCES tst_workbench_panel.cpp ui_test_support.h LABEL monitor TIMEOUT 90
                 LIBS tofu_monitor_views)
  target_compile_definitions(tst_workbench_panel PRIVATE TOFU_CLI_PATH="$<TARGET_FILE:tofu-cli>")
  add_dependencies(tst_workbench_panel tofu-cli)
  # Real tofu-cli processes attached over telemetry: payloads, identity, loss (issue 20).
  tofu_add_qtest(tst_attached_traffic SOURCES tst_attached_traffic.cpp cli_listener.h ui_test_support.h LABEL monitor
                 TIMEOUT 120 LIBS tofu_monitor_views)
  target_compile_definitions(tst_attached_traffic PRIVATE TOFU_CLI_PATH="$<TARGET_FILE:tofu-cli>")
  add_dependencies(tst_attached_traffic tofu-cli)
endif()

tofu_add_qtest(tst_monitor_app SOURCES tst_monitor_app.cpp ${PROJECT_SOURCE_DIR}/monitor/app/command_line.cpp
               LABEL monitor TIMEOUT 180 LIBS tofu_monitor_views)
target_include_directories(tst_monitor_app PRIVATE ${PROJECT_SOURCE_DIR}/monitor/app)
target_compile_definitions(tst_monitor_app PRIVATE TOFU_MONITOR_PATH="$<TARGET_FILE:tofu-monitor>")
add_dependencies(tst_monitor_app tofu-monitor)
tofu_add_qtest(tst_window_layout SOURCES tst_window_layout.cpp ui_test_support.h fake_source.h LABEL monitor TIMEOUT 120
               LIBS tofu_monitor_views)
