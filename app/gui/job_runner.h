#pragma once
// Runs engine jobs off the GUI thread: one worker thread (one job at a time on the device),
// progress and streamed partial results coalesced to ~30 updates/s, cancellation through the engine's CancelToken, and a
// newer job of the same kind cancelling the stale one whose late result is then dropped.
#include <any>
#include <functional>
#include <memory>
#include <vector>

#include <QFutureWatcher>
#include <QMap>
#include <QObject>
#include <QThreadPool>
#include <QTimer>

#include "engine/core/error.h"
#include "engine/core/job.h"

namespace cx::app {

class JobRunner : public QObject {
    Q_OBJECT
public:
    using Work = std::function<std::any(engine::JobContext&)>;  // runs on the worker thread
    /// Runs on the GUI thread with the work's result; returns an error text, empty on success.
    using Done = std::function<QString(std::any&)>;
    /// Runs on the GUI thread with the progress payloads that arrived since the last call, in order.
    using Partial = std::function<void(std::vector<std::any>&)>;

    explicit JobRunner(QObject* parent = nullptr);
    ~JobRunner() override;  // cancels every job and waits for the worker

    /// Queues a job and returns its id. A running or queued job of the same `kind` is cancelled
    /// and its result dropped. `onDone` is not called for cancelled or stale jobs; `onPartial`
    /// (optional) gets the engine's progress payloads at most ~30 times a second, never for stale jobs.
    int start(const QString& kind, const QString& title, Work work, Done onDone, Partial onPartial = {});
    /// A job whose work returns engine::Result<T>. On success `onValue` runs on the GUI thread
    /// (its text, empty on success, is the job's error). On failure `onFailure` (optional) runs,
    /// then the error reporter with `failureTitle` (none when it is empty), and the job fails
    /// with the engine's message: the error path is written here once.
    template <class T>
    int start(const QString& kind, const QString& title, const QString& failureTitle,
              std::function<engine::Result<T>(engine::JobContext&)> work, std::function<QString(T&)> onValue,
              std::function<void(const QString&)> onFailure = {}, Partial onPartial = {}) {
        return start(
            kind, title, [work = std::move(work)](engine::JobContext& job) -> std::any { return work(job); },
            [this, failureTitle, onValue = std::move(onValue), onFailure = std::move(onFailure)](std::any& result) -> QString {
                auto& r = std::any_cast<engine::Result<T>&>(result);
                if (r) return onValue(r.value());
                const QString message = QString::fromStdString(r.error().message);
                if (onFailure) onFailure(message);
                if (m_reportError && !failureTitle.isEmpty()) m_reportError(failureTitle, message);
                return message;
            },
            std::move(onPartial));
    }
    /// Where typed jobs report their errors (the window's error dialog).
    void setErrorReporter(std::function<void(const QString& title, const QString& message)> report) {
        m_reportError = std::move(report);
    }
    void cancel(int id);
    /// Asks a job to stop early but keep what it made: its result is still delivered (a mask
    /// training job writes the masks of its last step).
    void stop(int id);
    void cancelAll();
    bool isActive(int id) const { return m_jobs.contains(id); }
    int activeCount() const { return m_jobs.size(); }

Q_SIGNALS:
    void jobStarted(int id, const QString& title);
    void jobProgress(int id, const QString& stage, double fraction);
    /// After onDone (when it ran). `cancelled` covers stale jobs too; `error` is onDone's text.
    void jobFinished(int id, bool cancelled, const QString& error);

private:
    struct ProgressBox;
    struct Job {
        QString kind;
        std::shared_ptr<engine::CancelToken> token;
        std::shared_ptr<ProgressBox> progress;
        QFutureWatcher<std::any>* watcher = nullptr;
        Done onDone;
        Partial onPartial;
        bool stale = false;
        bool stopped = false;  // cancelled through stop(): the result still counts
    };

    std::function<void(const QString&, const QString&)> m_reportError;
    QThreadPool m_pool;
    QTimer m_progressTimer;
    QMap<int, Job> m_jobs;
    int m_nextId = 1;

    void flushProgress();
    void onFinished(int id);
};

}  // namespace cx::app
