#include "app/gui/job_runner.h"

#include <mutex>

#include <QtConcurrent/QtConcurrent>

namespace cx::app {
namespace {

// What a job that threw returns instead of its result.
struct JobFailure {
    std::string message;
};

}  // namespace

// Written by the worker on every engine progress call; read by the GUI timer.
struct JobRunner::ProgressBox {
    std::mutex mutex;
    std::string stage;
    double fraction = 0.0;
    bool dirty = false;
    std::vector<std::any> payloads;  // partial results not yet handed to the GUI
};

JobRunner::JobRunner(QObject* parent) : QObject(parent) {
    m_pool.setMaxThreadCount(1);
    m_progressTimer.setInterval(33);
    connect(&m_progressTimer, &QTimer::timeout, this, &JobRunner::flushProgress);
}

JobRunner::~JobRunner() {
    cancelAll();
    m_pool.waitForDone();
}

int JobRunner::start(const QString& kind, const QString& title, Work work, Done onDone, Partial onPartial) {
    for (auto it = m_jobs.begin(); it != m_jobs.end(); ++it)
        if (it->kind == kind && !it->stale) {
            it->stale = true;
            it->token->interrupt();
        }
    const int id = m_nextId++;
    Job job;
    job.kind = kind;
    job.token = std::make_shared<engine::CancelToken>();
    job.progress = std::make_shared<ProgressBox>();
    job.onDone = std::move(onDone);
    job.onPartial = std::move(onPartial);
    job.watcher = new QFutureWatcher<std::any>(this);
    connect(job.watcher, &QFutureWatcher<std::any>::finished, this, [this, id] { onFinished(id); });
    auto token = job.token;
    auto box = job.progress;
    m_jobs.insert(id, job);
    Q_EMIT jobStarted(id, title);
    job.watcher->setFuture(QtConcurrent::run(&m_pool, [work = std::move(work), token, box]() -> std::any {
        if (token->cancelled()) return {};
        engine::JobContext context(token);
        const engine::ThreadCancelScope cancelScope(token);  // Cancel reaches into the model's loops
        context.onProgress = [box](const engine::Progress& p) {
            std::lock_guard<std::mutex> lock(box->mutex);
            box->stage = p.stage;
            box->fraction = p.fraction;
            box->dirty = true;
            if (p.payload.has_value()) box->payloads.push_back(p.payload);
        };
        // The GUI's one boundary for jobs: an exception is the job's error, never a crash.
        try {
            return work(context);
        } catch (const std::exception& e) {
            if (token->interrupted()) return {};
            return JobFailure{std::string("unexpected failure: ") + e.what()};
        } catch (...) {
            return JobFailure{"unexpected failure"};
        }
    }));
    if (!m_progressTimer.isActive()) m_progressTimer.start();
    return id;
}

void JobRunner::cancel(int id) {
    auto it = m_jobs.find(id);
    if (it != m_jobs.end()) it->token->interrupt();
}

void JobRunner::stop(int id) {
    auto it = m_jobs.find(id);
    if (it == m_jobs.end()) return;
    it->stopped = true;
    it->token->cancel();
}

void JobRunner::cancelAll() {
    for (auto& job : m_jobs) {
        job.stopped = false;
        job.token->interrupt();
    }
}

void JobRunner::flushProgress() {
    for (auto it = m_jobs.begin(); it != m_jobs.end(); ++it) {
        QString stage;
        double fraction = 0;
        std::vector<std::any> payloads;
        {
            std::lock_guard<std::mutex> lock(it->progress->mutex);
            if (!it->progress->dirty) continue;
            it->progress->dirty = false;
            stage = QString::fromStdString(it->progress->stage);
            fraction = it->progress->fraction;
            payloads.swap(it->progress->payloads);
        }
        if (!payloads.empty() && it->onPartial && !it->stale) it->onPartial(payloads);
        Q_EMIT jobProgress(it.key(), stage, fraction);
    }
    if (m_jobs.isEmpty()) m_progressTimer.stop();
}

void JobRunner::onFinished(int id) {
    flushProgress();
    Job job = m_jobs.take(id);
    const bool cancelled = job.stale || (job.token->cancelled() && !job.stopped);
    QString error;
    if (!cancelled && job.onDone) {
        std::any result = job.watcher->result();
        if (const auto* failure = std::any_cast<JobFailure>(&result)) {
            error = QString::fromStdString(failure->message);
        } else {
            try {
                error = job.onDone(result);
            } catch (const std::exception& e) {
                error = tr("unexpected failure: %1").arg(QString::fromUtf8(e.what()));
            }
        }
    }
    job.watcher->deleteLater();
    Q_EMIT jobFinished(id, cancelled, error);
}

}  // namespace cx::app
