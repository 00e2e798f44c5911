#pragma once
// The Mask training tab: learned binary masks (continuous sparsification or hard concrete)
// for a task or for preserving one feature, with live plots of the loss, the fraction of units
// kept and the temperature as training streams its steps. It emits intent; the app trains.
#include <vector>

#include <QWidget>

#include "engine/masks/subnetworks_types.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace cx::widgets {

class Chart;

/// What the training form asks for (names as in `cx train-mask`).
struct TrainSettings {
    engine::MaskMethod method = engine::MaskMethod::ContinuousSparsification;
    engine::Granularity granularity = engine::Granularity::Weight;
    QString layers = QStringLiteral("*");
    QString task;                                // a task file, "addition"/"multiplication", or empty: the chosen images
    QString preserve;                            // LAYER:UNIT: feature preservation instead of the task
    double lambda = 1.5e-5;                      // against the batch-mean loss (see cx train-mask --help)
    double targetKept = 0.0;                     // > 0: adapt lambda to keep this fraction
    int epochs = 10;
};

class TrainingPanel : public QWidget {
    Q_OBJECT
public:
    explicit TrainingPanel(QWidget* parent = nullptr);

    TrainSettings settings() const;
    void setSettings(const TrainSettings& settings);
    /// The built-in task names offered for this model (the demo transformer's), besides images and files.
    void setBuiltInTasks(const QStringList& tasks);
    /// The target the feature-preservation objective uses when none is typed.
    void setDefaultPreserve(const QString& target);

    void clearSteps();
    /// Streams training steps into the plots.
    void addSteps(const std::vector<engine::MaskStep>& steps);
    const std::vector<engine::MaskStep>& steps() const { return m_steps; }
    void setRunning(bool running);
    void setResult(const QString& text);
    QString resultText() const;
    Chart* lossChart() const { return m_loss; }
    /// step, epoch, loss, l0, fraction_kept, temperature, lambda.
    QString csv() const;

Q_SIGNALS:
    void trainRequested(const cx::widgets::TrainSettings& settings);
    void cancelRequested();
    void chooseTaskFileRequested();

private:
    QComboBox* m_method = nullptr;
    QComboBox* m_granularity = nullptr;
    QLineEdit* m_layers = nullptr;
    QComboBox* m_objective = nullptr;
    QComboBox* m_task = nullptr;
    QLineEdit* m_preserve = nullptr;
    QDoubleSpinBox* m_lambda = nullptr;
    QCheckBox* m_useTarget = nullptr;
    QDoubleSpinBox* m_targetKept = nullptr;
    QSpinBox* m_epochs = nullptr;
    QPushButton* m_train = nullptr;
    QPushButton* m_cancel = nullptr;
    QLabel* m_result = nullptr;
    Chart* m_loss = nullptr;
    Chart* m_kept = nullptr;
    Chart* m_temperature = nullptr;
    std::vector<engine::MaskStep> m_steps;

    QWidget* buildForm();
    void updateEnabled();
};

}  // namespace cx::widgets
