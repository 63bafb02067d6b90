// RateSeries: per-second buckets in total and per channel, bytes with the 16-byte header,
// the window sliding with new events or the clock, non-message events ignored, and each
// engine's stamps placed on the wall clock by its own offset.
#include <QSignalSpy>
#include <QtTest>

#include "core_test_events.h"
#include "models/rate_series.h"

using namespace tofu;
using namespace tofu::monitor;

namespace {
constexpr std::int64_t kSecond = 1'000'000'000;

// Stamps read as wall-clock times as they are, unless a test sets an engine's offset.
void readStampsAsWallClock(TimeFormat& time) { time.setDefaultClockOffset(0); }
}

class TstRateSeries : public QObject {
  Q_OBJECT

 private slots:
  void countsPerSecondAndChannel() {
    TimeFormat time;
    readStampsAsWallClock(time);
    RateSeries rates(time, 5);
    rates.setLive(false);
    QSignalSpy updated(&rates, &RateSeries::updated);
    rates.addEvents({
        test::messageEvent(EventKind::messageSent, 1, 2, OpCode::Request, 1, 100 * kSecond + 1, false, "a:b\r\n", "12345"),
        test::messageEvent(EventKind::messageReceived, 1, 2, OpCode::Response, 1, 100 * kSecond + 5, false, {}, "xy"),
        test::messageEvent(EventKind::messageSent, 1, 3, OpCode::Signal, 2, 102 * kSecond, false, {}, {}),
        test::messageEvent(EventKind::messageReturned, 1, 3, OpCode::Signal, 3, 102 * kSecond, false, {}, {}),
        test::stateEvent(1, 3, 3, ChannelState::ready, 102 * kSecond),
    });
    QCOMPARE(updated.count(), 1);
    const QList<RatePoint> total = rates.total();
    QCOMPARE(total.size(), 5);
    QCOMPARE(total.first().bucketStartNs, 98 * kSecond);
    QCOMPARE(total.last().bucketStartNs, 102 * kSecond);
    QCOMPARE(total[2].messagesPerSecond, 2.0);
    QCOMPARE(total[2].bytesPerSecond, 16.0 + 10 + 16 + 2);
    QCOMPARE(total[4].messagesPerSecond, 1.0);  // the returned one is not traffic
    QCOMPARE(total[3].messagesPerSecond, 0.0);
    const QList<RatePoint> channel2 = rates.forChannel({1, 2});
    QCOMPARE(channel2[2].messagesPerSecond, 2.0);
    QCOMPARE(channel2[4].messagesPerSecond, 0.0);
    QCOMPARE(rates.forChannel({1, 3})[4].bytesPerSecond, 16.0);
    QCOMPARE(rates.forChannel({9, 9}).size(), 5);
  }

  void slidesTheWindow() {
    TimeFormat time;
    readStampsAsWallClock(time);
    RateSeries rates(time, 3);
    rates.setLive(false);
    rates.addEvents({test::messageEvent(EventKind::messageSent, 1, 2, OpCode::Signal, 1, 10 * kSecond)});
    QCOMPARE(rates.total().last().messagesPerSecond, 1.0);
    rates.advanceTo(12 * kSecond + 5);
    QCOMPARE(rates.total().first().messagesPerSecond, 1.0);
    rates.advanceTo(13 * kSecond);
    for (const RatePoint& point : rates.total()) {
      QCOMPARE(point.messagesPerSecond, 0.0);
    }
    QCOMPARE(rates.forChannel({1, 2}).first().bucketStartNs, 11 * kSecond);
    rates.advanceTo(1 * kSecond);  // never back
    QCOMPARE(rates.total().last().bucketStartNs, 13 * kSecond);
  }

  // Two engines whose monotonic clocks started at different times: the same wall-clock second
  // holds both, and the buckets are that second (once the chart showed seconds since boot).
  void bucketsByEachEnginesWallClock() {
    TimeFormat time;
    readStampsAsWallClock(time);
    constexpr std::int64_t kWallAtBoot1 = 1'765'000'000 * kSecond;
    time.setClockOffset(1, kWallAtBoot1);
    time.setClockOffset(2, kWallAtBoot1 + 40 * kSecond);
    RateSeries rates(time, 3);
    rates.setLive(false);
    rates.addEvents({test::messageEvent(EventKind::messageSent, 1, 2, OpCode::Signal, 1, 50 * kSecond + 7),
                     test::messageEvent(EventKind::messageSent, 2, 2, OpCode::Signal, 1, 10 * kSecond + 9)});
    const QList<RatePoint> total = rates.total();
    QCOMPARE(total.last().bucketStartNs, kWallAtBoot1 + 50 * kSecond);
    QCOMPARE(total.last().messagesPerSecond, 2.0);
    QCOMPARE(rates.forChannel({2, 2}).last().messagesPerSecond, 1.0);
  }
};

QTEST_GUILESS_MAIN(TstRateSeries)
#include "tst_rate_series.moc"
