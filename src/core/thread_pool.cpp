#include "core/thread_pool.h"

#include <algorithm>
#include <cerrno>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace rope::core {
namespace {
thread_local bool tls_inside_task = false;
}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0) num_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int t = 1; t < num_threads; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

ThreadPool& ThreadPool::shared() {
  static ThreadPool pool;
  return pool;
}

void ThreadPool::run_tasks(int thread) {
  const bool was_inside = tls_inside_task;
  tls_inside_task = true;
  for (;;) {
    const int64_t index = next_.fetch_add(1, std::memory_order_relaxed);
    if (index >= num_tasks_) break;
    try {
      (*task_)(index, thread);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      next_.store(num_tasks_, std::memory_order_relaxed);  // skip the rest
    }
  }
  tls_inside_task = was_inside;
}

void ThreadPool::set_worker_niceness(int nice) { worker_nice_.store(nice, std::memory_order_relaxed); }

bool ThreadPool::set_current_thread_niceness(int nice) {
#ifdef __linux__
  // Linux keeps a nice value per thread: PRIO_PROCESS with a thread id sets that thread's.
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  return setpriority(PRIO_PROCESS, tid, nice) == 0;
#else
  (void)nice;
  return false;
#endif
}

int ThreadPool::current_thread_niceness() {
#ifdef __linux__
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
  return errno == 0 ? nice : 0;
#else
  return 0;
#endif
}

void ThreadPool::worker_loop(int thread) {
  int64_t seen_generation = 0;
  int applied_nice = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen_generation; });
      if (stop_) return;
      seen_generation = generation_;
    }
    if (const int nice = worker_nice_.load(std::memory_order_relaxed); nice != applied_nice) {
      set_current_thread_niceness(nice);
      applied_nice = nice;
    }
    run_tasks(thread);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--busy_workers_ == 0) done_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(int64_t num_tasks,
                              const std::function<void(int64_t index, int thread)>& task) {
  if (num_tasks <= 0) return;
  if (tls_inside_task || workers_.empty() || num_tasks == 1) {
    // Nested (or trivially small) loops run serially on the caller, as thread 0 of a
    // one-thread pool would; nested callers must not share per-thread buffers with the outer loop.
    for (int64_t i = 0; i < num_tasks; ++i) task(i, 0);
    return;
  }
  std::lock_guard<std::mutex> call_lock(call_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &task;
    num_tasks_ = num_tasks;
    next_.store(0, std::memory_order_relaxed);
    busy_workers_ = static_cast<int>(workers_.size());
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  run_tasks(0);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return busy_workers_ == 0; });
  task_ = nullptr;
  if (error_) {
    std::exception_ptr error = error_;
    error_ = nullptr;
    lock.unlock();
    std::rethrow_exception(error);
  }
}

}  // namespace rope::core
