// LatestWorker: finished results (partial, final, errors) notify the UI loop; frame_wait_seconds:
// how long that loop waits for them, or for input, before a frame.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <optional>
#include <thread>
#include <stdexcept>

#include "gui/worker.h"

namespace rope::app {
namespace {

using IntWorker = LatestWorker<int, int>;

// The notifier runs after the result is visible, so wait_idle may return first: wait for it.
bool wait_for(const std::atomic<int>& counter, int value) {
  for (int i = 0; i < 10000 && counter.load() < value; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return counter.load() >= value;
}

TEST(LatestWorker, NotifiesOnEveryVisibleResultUntilTheNotifierIsRemoved) {
  std::atomic<int> notified{0};
  IntWorker worker([](const int& request, const IntWorker::Progress&, const IntWorker::Publish& publish) {
    publish(-request);  // a partial result first
    return std::optional<int>(request * 10);
  });
  worker.set_notify([&notified] { ++notified; });
  worker.submit(3);
  ASSERT_TRUE(worker.wait_idle(std::chrono::seconds(10)));
  ASSERT_NE(worker.latest(), nullptr);
  EXPECT_EQ(*worker.latest(), 30);
  EXPECT_TRUE(wait_for(notified, 2)) << "the partial and the final result";
  EXPECT_EQ(notified.load(), 2);

  worker.set_notify({});
  worker.submit(4);
  ASSERT_TRUE(worker.wait_idle(std::chrono::seconds(10)));
  EXPECT_EQ(*worker.latest(), 40);
  // Request 4's final notification may come after wait_idle returned. The worker handles one
  // request after the other, so once request 5's final result was notified, every notification
  // of request 4 is over.
  std::atomic<int> fence{0};
  worker.set_notify([&worker, &fence] {
    if (const auto r = worker.latest(); r && *r == 50) ++fence;
  });
  worker.submit(5);
  ASSERT_TRUE(wait_for(fence, 1));
  EXPECT_EQ(notified.load(), 2) << "no call after set_notify({})";
}

// A request's preview (published) is shown although a newer request came meanwhile: under a
// stream of requests, each preview is still newer than the picture on screen.
TEST(LatestWorker, APreviewOfASupersededRequestIsStillShown) {
  std::atomic<int> started{0};
  std::atomic<int> open_gate{0};  // requests up to this one may go on
  IntWorker worker([&](const int& request, const IntWorker::Progress& progress, const IntWorker::Publish& publish) {
    started = request;
    while (open_gate.load() < request) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    publish(-request);
    return progress(-1.0) ? std::optional<int>(request) : std::nullopt;
  });
  worker.submit(1);
  ASSERT_TRUE(wait_for(started, 1));
  worker.submit(2);  // supersedes request 1 before its preview
  open_gate = 1;
  ASSERT_TRUE(wait_for(started, 2));  // request 1 was given up after its preview
  ASSERT_NE(worker.latest(), nullptr);
  EXPECT_EQ(*worker.latest(), -1);
  EXPECT_TRUE(worker.pending());
  open_gate = 2;
  ASSERT_TRUE(worker.wait_idle(std::chrono::seconds(10)));
  EXPECT_EQ(*worker.latest(), 2);
  EXPECT_FALSE(worker.pending());
}

// A worker given a niceness computes at it (the GUI's compute runs below its UI thread); one
// without keeps its creator's.
TEST(LatestWorker, ComputesAtItsNiceness) {
#ifndef __linux__
  GTEST_SKIP() << "nice values per thread are Linux's";
#else
  const int own = core::ThreadPool::current_thread_niceness();
  const auto report = [](const int&, const IntWorker::Progress&, const IntWorker::Publish&) {
    return std::optional<int>(core::ThreadPool::current_thread_niceness());
  };
  IntWorker background(report, std::min(own + 5, 19));
  IntWorker plain(report);
  background.submit(1);
  plain.submit(1);
  ASSERT_TRUE(background.wait_idle(std::chrono::seconds(10)));
  ASSERT_TRUE(plain.wait_idle(std::chrono::seconds(10)));
  ASSERT_NE(background.latest(), nullptr);
  ASSERT_NE(plain.latest(), nullptr);
  EXPECT_EQ(*background.latest(), std::min(own + 5, 19));
  EXPECT_EQ(*plain.latest(), own);
  EXPECT_EQ(core::ThreadPool::current_thread_niceness(), own);
#endif
}

TEST(LatestWorker, AnErrorNotifiesToo) {
  std::atomic<int> notified{0};
  IntWorker worker([](const int&, const IntWorker::Progress&, const IntWorker::Publish&) -> std::optional<int> {
    throw std::runtime_error("no");
  });
  worker.set_notify([&notified] { ++notified; });
  worker.submit(1);
  ASSERT_TRUE(worker.wait_idle(std::chrono::seconds(10)));
  EXPECT_EQ(worker.error(), "no");
  EXPECT_TRUE(wait_for(notified, 1));
}

constexpr double kInterval = 1.0 / 60.0;

FrameTurn turn(double since, bool idle, bool input = false, bool result = false) {
  return FrameTurn{.since_last_start = since, .interval = kInterval, .idle_timeout = 0.1, .idle = idle,
                   .input = input, .result = result};
}

TEST(FrameWait, InputDoesNotStartAFrameBeforeTheInterval) {
  for (const bool idle : {false, true}) {
    for (const bool input : {false, true}) {
      EXPECT_DOUBLE_EQ(frame_wait_seconds(turn(0.0, idle, input)), kInterval);
      EXPECT_DOUBLE_EQ(frame_wait_seconds(turn(0.010, idle, input)), kInterval - 0.010)
          << "idle " << idle << ", input " << input;
    }
  }
}

TEST(FrameWait, AFinishedResultStartsAFrameAtOnce) {
  for (const bool idle : {false, true}) {
    EXPECT_EQ(frame_wait_seconds(turn(0.002, idle, false, true)), 0.0);
    EXPECT_EQ(frame_wait_seconds(turn(0.05, idle, false, true)), 0.0);
  }
}

TEST(FrameWait, ABusyLoopStartsAFrameEveryInterval) {
  EXPECT_EQ(frame_wait_seconds(turn(kInterval, false)), 0.0);
  EXPECT_EQ(frame_wait_seconds(turn(0.5, false)), 0.0);
  EXPECT_EQ(frame_wait_seconds(turn(std::numeric_limits<double>::infinity(), true)), 0.0) << "the first frame";
}

TEST(FrameWait, AnIdleLoopWaitsForInputOrTheTimeout) {
  // Input that arrived while the loop waited out the interval is drawn when the interval ends, not
  // after the idle timeout.
  EXPECT_EQ(frame_wait_seconds(turn(kInterval, true, true)), 0.0);
  EXPECT_EQ(frame_wait_seconds(turn(0.05, true, true)), 0.0);
  EXPECT_DOUBLE_EQ(frame_wait_seconds(turn(kInterval, true)), 0.1 - kInterval);
  EXPECT_DOUBLE_EQ(frame_wait_seconds(turn(0.06, true)), 0.1 - 0.06);
  EXPECT_EQ(frame_wait_seconds(turn(0.1, true)), 0.0);
}

// The loop as gui_main runs it: wait (an event may end a wait early), ask again, until 0.
TEST(FrameWait, MouseMotionDuringTheIntervalStartsTheFrameAtItsTurn) {
  for (const bool idle : {false, true}) {
    double since = 0.004;
    bool input = false;
    for (int i = 0; i < 20; ++i) {
      const double wait = frame_wait_seconds(turn(since, idle, input));
      if (wait <= 0.0) break;
      since += std::min(wait, 0.002);  // a motion event every 2 ms ends each wait
      input = true;
    }
    EXPECT_GE(since, kInterval) << "idle " << idle;
    EXPECT_LT(since, kInterval + 0.002) << "idle " << idle;
  }
}

}  // namespace
}  // namespace rope::app

namespace rope::app {
namespace {

// Frames that take more than half the refresh interval while heatmaps compute start at most every
// 1.5 frame durations (so drawing leaves the computation about a third of the time); otherwise,
// and on fast frames, at the display's refresh.
TEST(FrameWait, SlowFramesLeaveTheComputationHalfTheTimeWhileHeatmapsCompute) {
  const double refresh = 1.0 / 60.0;
  EXPECT_EQ(paced_interval(refresh, 0.005, true), refresh);   // fast frames: nothing changes
  EXPECT_DOUBLE_EQ(paced_interval(refresh, 0.012, true), 0.018);
  EXPECT_EQ(paced_interval(refresh, 0.050, false), refresh);  // nothing computing
  EXPECT_DOUBLE_EQ(paced_interval(refresh, 0.030, true), 0.045);
  EXPECT_EQ(paced_interval(refresh, 0.200, true), kComputeShareMaxInterval);  // at least 15 frames a second
  FrameTurn t;
  t.interval = paced_interval(refresh, 0.040, true);  // 60 ms
  t.since_last_start = 0.025;
  t.input = true;  // input does not start the frame early
  EXPECT_NEAR(frame_wait_seconds(t), 0.035, 1e-12);
  t.paced = true;
  t.result = true;  // nor does a finished result while frames are paced
  EXPECT_NEAR(frame_wait_seconds(t), 0.035, 1e-12);
  t.paced = false;  // at the refresh interval it does
  EXPECT_EQ(frame_wait_seconds(t), 0.0);
}

}  // namespace
}  // namespace rope::app
