// A live scene for the model suites: one engine with an echo listener and a client, plus
// a watcher feeding snapshots and events. GUI thread only; owns all of it.
#pragma once

#include <QString>

#include <memory>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/engine.h"
#include "tofu/qt/engine_watcher.h"

namespace tofu::qt::test {

class LiveScene {
 public:
  explicit LiveScene(const WatchOptions& watch);

  // Listens, connects the client and waits for its HelloResponse; false on failure.
  bool open();
  // Sends `count` Requests (`seq` header, body "body N") from the client; the server echoes.
  void sendRequests(int count);
  // Graceful close from the client side.
  bool closeClient() { return client_->close(clientChannel_); }

  Engine& engine() { return *engine_; }
  EngineWatcher& watcher() { return *watcher_; }
  ChannelGroup& client() { return *client_; }
  quint16 clientChannel() const { return clientChannel_; }

 private:
  std::unique_ptr<Engine> engine_;
  ChannelGroup* server_ = nullptr;  // children of engine_
  ChannelGroup* client_ = nullptr;
  EngineWatcher* watcher_ = nullptr;
  quint16 clientChannel_ = 0;
};

}  // namespace tofu::qt::test
