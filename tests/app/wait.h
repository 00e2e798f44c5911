#pragma once
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>

// Processes events until `done()` or the timeout; returns done().
template <typename Pred>
bool waitUntil(Pred done, int timeoutMs = 30000) {
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < timeoutMs) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
    return done();
}
