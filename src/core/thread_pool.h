#pragma once
// A small fixed thread pool: threads are created once and reused for every parallel loop. The
// calling thread takes part, so a pool of N threads runs N - 1 workers.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rope::core {

class ThreadPool {
 public:
  // num_threads <= 0: one per hardware thread.
  explicit ThreadPool(int num_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs task(index, thread) for every index in [0, num_tasks), handing indices out in order
  // (dynamic scheduling); thread is in [0, num_threads()) and identifies a per-thread buffer.
  // Blocks until every task has finished. Calls from inside a task run serially on the caller;
  // concurrent calls from different threads take turns. If tasks throw, the remaining indices
  // are skipped and the first exception is rethrown here once every thread has stopped.
  void parallel_for(int64_t num_tasks, const std::function<void(int64_t index, int thread)>& task);

  // The process-wide pool used by the core.
  static ThreadPool& shared();

  // Background priority (Linux: nice values, per thread; elsewhere these do nothing). The
  // workers take `nice` from their next loop on, so an interactive program keeps its compute
  // below its UI thread; the calling thread of parallel_for keeps its own. An unprivileged
  // process can only raise a thread's nice value, never lower it again.
  void set_worker_niceness(int nice);
  // Sets the calling thread's nice value; false where that is not possible.
  static bool set_current_thread_niceness(int nice);
  // The calling thread's nice value (0 where there are none).
  static int current_thread_niceness();

 private:
  void worker_loop(int thread);
  void run_tasks(int thread);

  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one parallel_for at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int64_t, int)>* task_ = nullptr;
  int64_t num_tasks_ = 0;
  std::atomic<int64_t> next_{0};
  int64_t generation_ = 0;
  int busy_workers_ = 0;
  std::exception_ptr error_;  // first exception thrown by a task of the current loop
  bool stop_ = false;
  std::atomic<int> worker_nice_{0};
};

}  // namespace rope::core
