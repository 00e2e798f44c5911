#pragma once
// The jobs panel: one row per background job with its stage, a progress bar and Cancel.
#include <QMap>
#include <QWidget>

class QVBoxLayout;
class QProgressBar;
class QLabel;
class QToolButton;

namespace cx::widgets {

class JobsPanel : public QWidget {
    Q_OBJECT
public:
    enum class Outcome { Succeeded, Failed, Cancelled };

    explicit JobsPanel(QWidget* parent = nullptr);

    void addJob(int id, const QString& title);
    void setProgress(int id, const QString& stage, double fraction);
    void finishJob(int id, Outcome outcome, const QString& message);

    int rowCount() const { return m_rows.size(); }
    int runningCount() const;
    /// Progress bar value (0..1000) of a job, -1 when unknown; for tests.
    int progressValue(int id) const;
    QString statusText(int id) const;

Q_SIGNALS:
    void cancelRequested(int id);

private:
    struct Row {
        QWidget* widget = nullptr;
        QLabel* status = nullptr;
        QProgressBar* bar = nullptr;
        QToolButton* cancel = nullptr;
        bool running = true;
    };
    QVBoxLayout* m_list = nullptr;
    QLabel* m_empty = nullptr;
    QMap<int, Row> m_rows;
    QList<int> m_order;

    void dropOldFinished();
};

}  // namespace cx::widgets
