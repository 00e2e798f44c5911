#pragma once
// What every tab's controller shares: the open session, the job runner, and three signals the
// window turns into an error dialog, a status-bar message and a raised view. A controller owns
// its tab's state and talks to its widgets through their public API only.
#include <QObject>
#include <QString>

class QWidget;

namespace cx::app {

class JobRunner;
class Session;

class Controller : public QObject {
    Q_OBJECT
public:
    Controller(Session& session, JobRunner& jobs, QObject* parent) : QObject(parent), m_session(session), m_jobs(jobs) {}

Q_SIGNALS:
    void errorRaised(const QString& title, const QString& message);
    void statusMessage(const QString& text);
    /// The view a result is shown in, to bring to the front.
    void viewRequested(QWidget* view);

protected:
    Session& m_session;
    JobRunner& m_jobs;
};

}  // namespace cx::app
