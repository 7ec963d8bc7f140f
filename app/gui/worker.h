#pragma once
// A background thread with a single request slot: a newer request supersedes a stale one (the
// running computation's progress callback returns false and it gives up), a generation counter
// orders them, and the UI reads the newest finished result as an immutable snapshot and the
// running request's fraction done. Also when the UI frame loop, which workers wake with their
// results, starts a frame (frame_wait_seconds).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "core/thread_pool.h"

namespace rope::app {

template <class Request, class Result>
class LatestWorker {
 public:
  // progress(f) records the fraction done f in [0, 1] (a negative f records nothing) and returns
  // false once a newer request superseded this one.
  using Progress = std::function<bool(double fraction_done)>;
  // publish(r) shows r as the newest result while the request keeps computing (it stays
  // pending); also when a newer request superseded this one (a stream of requests then still
  // shows previews), unless the result shown already belongs to a newer request.
  using Publish = std::function<void(Result&& partial)>;
  using Fn = std::function<std::optional<Result>(const Request&, const Progress& progress, const Publish& publish)>;

  // niceness > 0: the thread computes at that nice value (below an interactive thread).
  explicit LatestWorker(Fn fn, int niceness = 0)
      : fn_(std::move(fn)), niceness_(niceness), thread_([this] { run(); }) {}
  ~LatestWorker() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
      ++requested_generation_;
    }
    cv_.notify_all();
    thread_.join();
  }
  LatestWorker(const LatestWorker&) = delete;
  LatestWorker& operator=(const LatestWorker&) = delete;

  // Queues a request; returns its generation.
  uint64_t submit(Request request) {
    uint64_t generation;
    {
      std::lock_guard lock(mutex_);
      pending_ = std::move(request);
      generation = ++requested_generation_;
      submitted_at_ = std::chrono::steady_clock::now();
    }
    cv_.notify_all();
    return generation;
  }

  // Called on the worker thread whenever a result (final or partial) or an error becomes
  // visible, e.g. to wake an event loop that waits (glfwPostEmptyEvent). Once set_notify({})
  // returned, the previous function is not running and is never called again.
  void set_notify(std::function<void()> notify) {
    std::lock_guard lock(notify_mutex_);
    notify_ = std::move(notify);
  }

  // The newest finished result (may belong to an older request while a newer one runs).
  std::shared_ptr<const Result> latest() const {
    std::lock_guard lock(mutex_);
    return result_;
  }
  // The same with the time its request was submitted (when its parameters were the newest).
  std::pair<std::shared_ptr<const Result>, std::chrono::steady_clock::time_point> latest_with_time() const {
    std::lock_guard lock(mutex_);
    return {result_, result_submitted_at_};
  }
  uint64_t latest_generation() const {
    std::lock_guard lock(mutex_);
    return result_generation_;
  }
  // True while the newest request has no finished result yet.
  bool pending() const {
    std::lock_guard lock(mutex_);
    return result_generation_ != requested_generation_ && !failed_newest();
  }
  // Fraction done of the request being computed (0 when idle or not reported).
  double progress() const { return progress_.load(std::memory_order_relaxed); }
  // Error text of the newest request if its computation threw.
  std::string error() const {
    std::lock_guard lock(mutex_);
    return failed_newest() ? error_ : std::string();
  }
  // Milliseconds from the newest request's submission to its result (0 until it finished).
  double last_latency_ms() const {
    std::lock_guard lock(mutex_);
    return latency_ms_;
  }
  // Blocks until the newest request finished (or failed), or the timeout passed. For tests and
  // headless rendering only; the interactive UI never waits.
  bool wait_idle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return done_cv_.wait_for(lock, timeout,
                             [this] { return result_generation_ == requested_generation_ || failed_newest(); });
  }

 private:
  bool failed_newest() const { return error_generation_ == requested_generation_ && requested_generation_ != 0; }

  void notify() {
    std::lock_guard lock(notify_mutex_);
    if (notify_) notify_();
  }

  void run() {
    if (niceness_ > 0) core::ThreadPool::set_current_thread_niceness(niceness_);
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || pending_.has_value(); });
      if (stop_) return;
      Request request = std::move(*pending_);
      pending_.reset();
      const uint64_t generation = requested_generation_;
      const std::chrono::steady_clock::time_point submitted_at = submitted_at_;
      progress_.store(0.0, std::memory_order_relaxed);
      lock.unlock();
      std::optional<Result> result;
      std::string error;
      try {
        result = fn_(
            request,
            [this, generation](double fraction) {
              if (fraction >= 0.0) progress_.store(std::min(fraction, 1.0), std::memory_order_relaxed);
              return requested_generation_.load(std::memory_order_relaxed) == generation;
            },
            [this, generation, submitted_at](Result&& partial) {
              {
                std::lock_guard guard(mutex_);
                if (generation <= shown_generation_) return;
                result_ = std::make_shared<const Result>(std::move(partial));
                shown_generation_ = generation;
                result_submitted_at_ = submitted_at;
              }
              notify();
            });
      } catch (const std::exception& e) {
        error = e.what();
      }
      lock.lock();
      progress_.store(0.0, std::memory_order_relaxed);
      bool published = false;
      if (!error.empty()) {
        error_ = error;
        error_generation_ = generation;
        done_cv_.notify_all();
        published = true;
      } else if (result && generation >= shown_generation_) {
        result_ = std::make_shared<const Result>(std::move(*result));
        result_generation_ = shown_generation_ = generation;
        result_submitted_at_ = submitted_at;
        if (generation == requested_generation_)
          latency_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - submitted_at_).count();
        done_cv_.notify_all();
        published = true;
      }
      if (published) {
        lock.unlock();
        notify();
        lock.lock();
      }
    }
  }

  Fn fn_;
  std::mutex notify_mutex_;
  std::function<void()> notify_;  // guarded by notify_mutex_
  mutable std::mutex mutex_;
  std::condition_variable cv_, done_cv_;
  std::optional<Request> pending_;
  std::atomic<uint64_t> requested_generation_{0};
  std::atomic<double> progress_{0.0};
  uint64_t result_generation_ = 0;  // of the newest finished result
  uint64_t shown_generation_ = 0;   // of result_ (finished or published)
  uint64_t error_generation_ = 0;
  std::string error_;
  std::shared_ptr<const Result> result_;
  std::chrono::steady_clock::time_point submitted_at_{};         // of the newest request
  std::chrono::steady_clock::time_point result_submitted_at_{};  // of result_'s request
  double latency_ms_ = 0.0;
  bool stop_ = false;
  int niceness_ = 0;
  std::thread thread_;  // last: starts after every member above exists
};

// When the UI frame loop starts its next frame. Frames start at least `interval` apart (one
// display refresh; also where the swap does not wait for the display, as under Xvfb, so the loop
// leaves the CPU to the computation and mouse motion does not drive it faster), except that a
// finished result is drawn at once (a worker notifies once or twice per request). A busy loop
// (an animation plays or a result is awaited) starts a frame every interval; an idle loop starts
// one when input woke it, otherwise `idle_timeout` after the last.
struct FrameTurn {
  double since_last_start = 0.0;  // seconds since the previous frame started (infinity before the first)
  double interval = 1.0 / 60.0;
  double idle_timeout = 0.1;
  bool idle = false;
  bool input = false;   // an event arrived since the previous frame polled
  bool result = false;  // a worker notified since the previous frame polled
  bool paced = false;   // interval is paced_interval's longer one: a result waits for it too
};

// How long to wait for events before the next frame; 0: start it now (after polling events). The
// caller waits with glfwWaitEventsTimeout, which returns early on any event, and asks again with
// what the events set until it gets 0, so input that arrives during the interval is not left to
// an idle wait, nor does it start a frame early.
// The interval between frame starts: the display's refresh, except while heatmaps are computing
// and the last frame took more than half of it (a software rasteriser drawing a window that
// changes everywhere, as during a slider drag): then frames start at most every 1.5 frame
// durations (at most kComputeShareMaxInterval apart), so that drawing leaves about a third of the
// time to the computation below it and the maps keep arriving (finished results then wait for the interval
// too: the decay curve finishes after every change). A GPU draws such a frame in a few ms and
// never gets here.
inline constexpr double kComputeShareMaxInterval = 0.066;  // at least 15 frames a second
inline double paced_interval(double refresh_interval, double last_frame_seconds, bool computing) {
  if (!computing || last_frame_seconds <= 0.5 * refresh_interval) return refresh_interval;
  return std::max(refresh_interval, std::min(1.5 * last_frame_seconds, kComputeShareMaxInterval));
}

inline double frame_wait_seconds(const FrameTurn& t) {
  if (t.result && !t.paced) return 0.0;
  if (t.since_last_start < t.interval) return t.interval - t.since_last_start;
  if (!t.idle || t.input || t.since_last_start >= t.idle_timeout) return 0.0;
  return t.idle_timeout - t.since_last_start;
}

}  // namespace rope::app
