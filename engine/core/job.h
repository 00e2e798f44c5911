#pragma once
// Job context shared by every long engine entry point: cancellation, progress and log.
#include <any>
#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace cx::engine {

/// Set from any thread; polled by the engine at batch / epoch / stage boundaries. cancel()
/// asks the job to end at the next boundary (a training run keeps what it learned so far);
/// interrupt() also ends a model's forward pass inside it, at the next turn of any loop in
/// the model's graph (see ThreadCancelScope), so a forward that never ends is cancellable.
class CancelToken {
public:
    void cancel() { m_cancelled.store(true, std::memory_order_relaxed); }
    void interrupt() {
        m_interrupted.store(true, std::memory_order_relaxed);
        cancel();
    }
    bool cancelled() const { return m_cancelled.load(std::memory_order_relaxed); }
    bool interrupted() const { return m_interrupted.load(std::memory_order_relaxed); }

private:
    std::atomic<bool> m_cancelled{false}, m_interrupted{false};
};

/// Makes `token` the one that the cancel points inside model forwards poll on this thread, for
/// the scope's lifetime (the GUI's job runner opens one per job). Without a scope a forward
/// runs to its end.
class ThreadCancelScope {
public:
    explicit ThreadCancelScope(std::shared_ptr<CancelToken> token);
    ~ThreadCancelScope();
    ThreadCancelScope(const ThreadCancelScope&) = delete;
    ThreadCancelScope& operator=(const ThreadCancelScope&) = delete;

private:
    std::shared_ptr<CancelToken> m_previous;
};

/// Whether this thread's job (its ThreadCancelScope's token) has been interrupted.
bool threadInterrupted();

/// One progress report. `payload` may carry a partial result (a plain value type).
struct Progress {
    std::string stage;
    double fraction = 0.0;  // 0..1 within the stage
    std::any payload;
};

/// Passed by reference into long calls. Callbacks run on the calling (worker) thread.
class JobContext {
public:
    JobContext() : m_token(std::make_shared<CancelToken>()) {}
    explicit JobContext(std::shared_ptr<CancelToken> token) : m_token(std::move(token)) {}

    std::function<void(const Progress&)> onProgress;
    std::function<void(const std::string&)> onLog;

    bool cancelled() const { return m_token->cancelled(); }
    const std::shared_ptr<CancelToken>& token() const { return m_token; }

    void progress(const std::string& stage, double fraction, std::any payload = {}) const {
        if (onProgress) onProgress(Progress{stage, fraction, std::move(payload)});
    }
    void log(const std::string& line) const {
        if (onLog) onLog(line);
    }

private:
    std::shared_ptr<CancelToken> m_token;
};

}  // namespace cx::engine
