#pragma once
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>

// Processes events until `done()` or the timeout; returns done(). The default is generous: the
// suite runs two tests at a time on two cores, and GUI tests wait for real engine jobs.
template <typename Pred>
bool waitUntil(Pred done, int timeoutMs = 120000) {
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < timeoutMs) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
    return done();
}
