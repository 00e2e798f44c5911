#pragma once
// The Mask Training tab: the panel's form becomes a mask training job on the session's
// workspace whose steps stream into the live plots; Stop keeps the masks of the last step.
#include "app/gui/controller.h"

namespace cx::widgets {
class TrainingPanel;
struct TrainSettings;
}  // namespace cx::widgets

namespace cx::app {

class TrainingController : public Controller {
    Q_OBJECT
public:
    TrainingController(Session& session, JobRunner& jobs, widgets::TrainingPanel* panel, QObject* parent);

    /// Trains a learned mask in the background with live plots; the mask file goes into the
    /// session's folder (it keeps the logits, to resume from).
    void trainMask(const widgets::TrainSettings& settings);
    /// What the panel offers for the open model: the demo transformer's tasks, or none.
    void modelOpened(bool demoTransformer);

Q_SIGNALS:
    /// A mask training job finished and wrote this file.
    void maskTrained(const QString& path, const QString& name, const QString& summary);

private:
    widgets::TrainingPanel* m_panel;
    int m_job = 0;  // the running training job, for Stop
};

}  // namespace cx::app
