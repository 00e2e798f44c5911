#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QImage>
#include <QTemporaryDir>
#include <QThread>

#include <gtest/gtest.h>

#include "app/gui/job_runner.h"
#include "engine/pruning/pruning.h"
#include "wait.h"

using cx::app::JobRunner;
using cx::engine::JobContext;

TEST(JobRunner, ProgressIsMonotonicAndTheResultArrivesOnTheGuiThread) {
    JobRunner runner;
    std::vector<double> seen;
    QObject::connect(&runner, &JobRunner::jobProgress, [&](int, const QString&, double f) { seen.push_back(f); });
    QThread* doneThread = nullptr;
    int value = 0;
    bool finished = false;
    runner.start("count", "count", [](JobContext& job) -> std::any {
        for (int i = 1; i <= 100; ++i) {
            job.progress("counting", i / 100.0);
            std::this_thread::sleep_for(std::chrono::milliseconds(3));
        }
        return 42;
    }, [&](std::any& r) -> QString {
        doneThread = QThread::currentThread();
        value = std::any_cast<int>(r);
        return {};
    });
    QObject::connect(&runner, &JobRunner::jobFinished, [&](int, bool cancelled, const QString&) { finished = !cancelled; });
    ASSERT_TRUE(waitUntil([&] { return finished; }));
    EXPECT_EQ(value, 42);
    EXPECT_EQ(doneThread, QCoreApplication::instance()->thread());
    ASSERT_FALSE(seen.empty());
    EXPECT_LT(seen.size(), 100u);  // coalesced, not one signal per engine call
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_DOUBLE_EQ(seen.back(), 1.0);
}

TEST(JobRunner, CancelStopsAJobWithinASecond) {
    JobRunner runner;
    std::atomic<bool> started{false};
    bool onDoneCalled = false, cancelledSeen = false;
    const int id = runner.start("spin", "spin", [&](JobContext& job) -> std::any {
        started = true;
        while (!job.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return {};
    }, [&](std::any&) -> QString { onDoneCalled = true; return {}; });
    QObject::connect(&runner, &JobRunner::jobFinished, [&](int, bool cancelled, const QString&) { cancelledSeen = cancelled; });
    ASSERT_TRUE(waitUntil([&] { return started.load(); }));
    QElapsedTimer t;
    t.start();
    runner.cancel(id);
    ASSERT_TRUE(waitUntil([&] { return !runner.isActive(id); }, 5000));
    EXPECT_LT(t.elapsed(), 1000);
    EXPECT_TRUE(cancelledSeen);
    EXPECT_FALSE(onDoneCalled);
}

TEST(JobRunner, ANewerJobOfTheSameKindDropsTheStaleResult) {
    JobRunner runner;
    std::vector<int> delivered;
    auto slow = [](int v) {
        return [v](JobContext& job) -> std::any {
            for (int i = 0; i < 20 && !job.cancelled(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
            return v;
        };
    };
    auto keep = [&](std::any& r) -> QString { delivered.push_back(std::any_cast<int>(r)); return {}; };
    const int first = runner.start("load", "first", slow(1), keep);
    const int second = runner.start("load", "second", slow(2), keep);
    const int other = runner.start("other", "other", slow(3), keep);
    ASSERT_TRUE(waitUntil([&] { return runner.activeCount() == 0; }));
    EXPECT_EQ(delivered, (std::vector<int>{2, 3}));
    EXPECT_NE(first, second);
    EXPECT_NE(second, other);
}

TEST(JobRunner, PartialResultsArriveInOrderCoalescedOnTheGuiThreadBeforeTheResult) {
    JobRunner runner;
    std::vector<int> received;
    int calls = 0;
    bool wrongThread = false;
    size_t receivedAtDone = 0;
    bool finished = false;
    runner.start("stream", "stream", [](JobContext& job) -> std::any {
        for (int i = 0; i < 200; ++i) {
            job.progress("step", i / 200.0, i);
            if (i % 20 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        job.progress("step", 1.0);  // no payload: nothing extra is delivered
        return 0;
    }, [&](std::any&) -> QString {
        receivedAtDone = received.size();
        return {};
    }, [&](std::vector<std::any>& payloads) {
        ++calls;
        wrongThread |= QThread::currentThread() != QCoreApplication::instance()->thread();
        for (auto& p : payloads) received.push_back(std::any_cast<int>(p));
    });
    QObject::connect(&runner, &JobRunner::jobFinished, [&](int, bool, const QString&) { finished = true; });
    ASSERT_TRUE(waitUntil([&] { return finished; }));
    ASSERT_EQ(received.size(), 200u);
    EXPECT_EQ(receivedAtDone, 200u);  // every partial result lands before the final one
    for (int i = 0; i < 200; ++i) EXPECT_EQ(received[size_t(i)], i);
    EXPECT_LT(calls, 50);  // coalesced, not one call per payload
    EXPECT_FALSE(wrongThread);
}

// A job that throws (or whose result handler throws) finishes with the error; nothing crashes.
TEST(JobRunner, AThrowingJobFinishesWithItsErrorNotACrash) {
    JobRunner runner;
    QString error;
    bool finished = false, onDoneCalled = false;
    QObject::connect(&runner, &JobRunner::jobFinished, [&](int, bool, const QString& e) {
        error = e;
        finished = true;
    });
    runner.start("throw", "throw", [](JobContext&) -> std::any { throw std::runtime_error("bad bytes"); },
                 [&](std::any&) -> QString {
                     onDoneCalled = true;
                     return {};
                 });
    ASSERT_TRUE(waitUntil([&] { return finished; }));
    EXPECT_FALSE(onDoneCalled);
    EXPECT_TRUE(error.contains("bad bytes")) << error.toStdString();
    finished = false;
    runner.start("cast", "cast", [](JobContext&) -> std::any { return 1; },
                 [](std::any& r) -> QString { return QString::number(std::any_cast<double>(r)); });  // the wrong type
    ASSERT_TRUE(waitUntil([&] { return finished; }));
    EXPECT_TRUE(error.contains("unexpected failure")) << error.toStdString();
}

// Cancel ends a job whose model's forward never ends (tests/data/bad/endless.pt loops forever
// between its two convolutions): the engine's cancel points stop it at the loop's next turn.
TEST(JobRunner, CancelEndsAModelForwardThatNeverEnds) {
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    for (int i = 0; i < 2; ++i) {
        QImage image(8, 8, QImage::Format_RGB888);
        image.fill(QColor(40 * i, 90, 200));
        ASSERT_TRUE(image.save(dir.filePath(QStringLiteral("%1.png").arg(i))));
    }
    cx::engine::ScoreRequest request;
    request.model = std::string(CX_TEST_DATA) + "/bad/endless.pt";
    request.images = dir.path().toStdString();
    request.imageOptions.resize = 0;
    request.imageOptions.crop = 0;
    request.target = "b:1";
    request.out = dir.filePath(QStringLiteral("never.safetensors")).toStdString();
    JobRunner runner;
    std::atomic<bool> started{false};
    bool onDoneCalled = false, cancelledSeen = false;
    const int id = runner.start("score", "score", [&](JobContext& job) -> std::any {
        started = true;
        return cx::engine::runScore(request, job).ok();
    }, [&](std::any&) -> QString { onDoneCalled = true; return {}; });
    QObject::connect(&runner, &JobRunner::jobFinished, [&](int, bool cancelled, const QString&) { cancelledSeen = cancelled; });
    ASSERT_TRUE(waitUntil([&] { return started.load(); }));
    QThread::msleep(1500);  // loading done, the forward inside its loop
    ASSERT_TRUE(runner.isActive(id));
    QElapsedTimer t;
    t.start();
    runner.cancel(id);
    ASSERT_TRUE(waitUntil([&] { return !runner.isActive(id); }, 10000));
    EXPECT_LT(t.elapsed(), 2000);
    EXPECT_TRUE(cancelledSeen);
    EXPECT_FALSE(onDoneCalled);
    EXPECT_FALSE(QFileInfo::exists(QString::fromStdString(request.out)));
}
