// TimelineModel: a channel's life in order (states with reasons, Hello/Welcome/Bye messages),
// regular messages left out, one list per incarnation, and the bounds.
#include <QSignalSpy>
#include <QtTest>

#include "core_test_events.h"
#include "models/timeline_model.h"

using namespace tofu;
using namespace tofu::monitor;

class TstTimelineModel : public QObject {
  Q_OBJECT

 private slots:
  void recordsALifeCycle() {
    TimelineModel timeline;
    QSignalSpy changed(&timeline, &TimelineModel::channelChanged);
    timeline.addEvents({
        test::stateEvent(1, 4, 4, ChannelState::opening, 10),
        test::messageEvent(EventKind::messageSent, 1, 4, OpCode::HelloRequest, 100, 20),
        test::stateEvent(1, 4, 4, ChannelState::connecting, 30),
        test::messageEvent(EventKind::messageReceived, 1, 4, OpCode::HelloResponse, 100, 40),
        test::stateEvent(1, 4, 4, ChannelState::ready, 41),
        test::messageEvent(EventKind::messageSent, 1, 4, OpCode::Request, 101, 50),  // not life cycle
        test::messageEvent(EventKind::messageSent, 1, 4, OpCode::ByeRequest, 102, 60),
        test::stateEvent(1, 4, 4, ChannelState::closing, 61, Status::success),
        test::messageEvent(EventKind::messageReceived, 1, 4, OpCode::ByeResponse, 102, 70),
        test::stateEvent(1, 4, 4, ChannelState::closed, 71, Status::channel_closed),
        test::stateEvent(1, 9, 9, ChannelState::opening, 80),
    });
    QCOMPARE(changed.count(), 2);  // one per channel and batch
    QCOMPARE(timeline.channels(), (QList<ChannelKey>{{1, 4}, {1, 9}}));
    const QList<TimelineEntry> life = timeline.entries({1, 4});
    QStringList labels;
    for (const TimelineEntry& entry : life) {
      labels << entry.label();
    }
    QCOMPARE(labels, (QStringList{"opening", "sent HelloRequest #100 success", "connecting",
                                  "got HelloResponse #100 success", "ready", "sent ByeRequest #102 success", "closing",
                                  "got ByeResponse #102 success", "closed channel_closed"}));
    QCOMPARE(life.last().atNs, 71);
    QVERIFY(timeline.entries({2, 4}).isEmpty());
  }

  void showsARefusedConnect() {
    TimelineModel timeline;
    timeline.addEvents({
        test::stateEvent(1, 3, 3, ChannelState::connecting, 1),
        test::messageEvent(EventKind::messageReturned, 1, 3, OpCode::HelloRequest, 5, 2, false, {}, {}, Status::connect_failed),
        test::stateEvent(1, 3, 3, ChannelState::closed, 3, Status::connect_failed),
    });
    const QList<TimelineEntry> life = timeline.entries({1, 3});
    QCOMPARE(life.size(), 3);
    QCOMPARE(life[1].label(), QStringLiteral("got HelloRequest #5 connect_failed"));
    QCOMPARE(life[2].label(), QStringLiteral("closed connect_failed"));
  }

  void staysBounded() {
    TimelineModel timeline;
    timeline.setLimits(2, 3);
    timeline.addEvents({test::stateEvent(1, 1, 1, ChannelState::ready, 1), test::stateEvent(1, 2, 2, ChannelState::ready, 2),
                        test::stateEvent(1, 2, 2, ChannelState::closed, 3)});
    timeline.addEvents({test::stateEvent(1, 3, 3, ChannelState::ready, 4)});
    // The closed channel goes first, though it is not the oldest.
    QCOMPARE(timeline.channels(), (QList<ChannelKey>{{1, 1}, {1, 3}}));
    QCOMPARE(timeline.evictedChannels(), 1u);
    QList<Event> many;
    for (int i = 0; i < 5; ++i) {
      many << test::stateEvent(1, 1, 1, ChannelState::closing, 10 + i);
    }
    timeline.addEvents(many);
    const QList<TimelineEntry> life = timeline.entries({1, 1});
    QCOMPARE(life.size(), 3);
    QCOMPARE_NAME(life[0].state, ChannelState::ready);  // the first entry is kept
    QCOMPARE(life[1].atNs, 13);
    QCOMPARE(life[2].atNs, 14);
    QCOMPARE(timeline.evictedEntries(), 3u);
  }
};

QTEST_GUILESS_MAIN(TstTimelineModel)
#include "tst_timeline_model.moc"
