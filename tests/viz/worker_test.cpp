// LatestWorker: finished results (partial, final, errors) notify the UI loop.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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

}  // namespace
}  // namespace rope::app
