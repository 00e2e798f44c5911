// MainWindow's mask training: the Training tab's form becomes a runTrainMask job whose steps
// stream into the live plots; Stop keeps the masks of the last step.
#include <QFileDialog>
#include <QFileInfo>
#include <QLocale>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>

#include "app/gui/demo_images.h"
#include "app/gui/job_runner.h"
#include "app/gui/main_window.h"
#include "app/resource_dir.h"
#include "engine/subnetworks.h"
#include "widgets/training_panel.h"

namespace cx::app {
namespace {

using TrainResult = engine::Result<engine::SubnetworkReport>;

QString reportText(const engine::SubnetworkReport& r, const QString& granularity, const QString& file) {
    const QLocale locale;
    QString text = QObject::tr("Kept %1 of %2 %3 units (%4%).")
                       .arg(locale.toString(qlonglong(r.kept)), locale.toString(qlonglong(r.total)), granularity)
                       .arg(100.0 * double(r.kept) / double(std::max<int64_t>(1, r.total)), 0, 'f', 2);
    if (r.preservation >= 0)
        text += QObject::tr(" Feature preserved at |Pearson r| %1.").arg(r.preservation, 0, 'f', 3);
    else
        text += QObject::tr(" Task accuracy %1% (whole model %2%).").arg(100.0 * r.accuracy, 0, 'f', 1).arg(100.0 * r.baseAccuracy, 0, 'f', 1);
    if (r.cancelled) text += QObject::tr(" Stopped early.");
    return text + QObject::tr("\nMask: %1").arg(file);
}

}  // namespace

void MainWindow::buildTrainingTab() {
    m_training = new widgets::TrainingPanel(m_central);
    m_central->addTab(m_training, tr("Mask Training"));
    connect(m_training, &widgets::TrainingPanel::trainRequested, this, &MainWindow::trainMask);
    connect(m_training, &widgets::TrainingPanel::cancelRequested, this, [this] {
        if (m_trainJob) m_jobs->stop(m_trainJob);
    });
    connect(m_training, &widgets::TrainingPanel::chooseTaskFileRequested, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open Task File"), QString(),
                                                          tr("Task files (*.safetensors);;All files (*)"));
        auto settings = m_training->settings();
        if (!path.isEmpty()) settings.task = path;
        m_training->setSettings(settings);
    });
}

void MainWindow::trainMask(const widgets::TrainSettings& settings) {
    if (!m_model) return showError(tr("No model"), tr("Open a model before training a mask."));
    engine::TrainMaskRequest request;
    request.model = m_modelPath.toStdString();
    const bool onImages = settings.task.isEmpty();
    request.task = onImages ? imagesForJobs().toStdString() : settings.task.toStdString();
    request.method = settings.method;
    request.granularity = settings.granularity;
    request.layers = settings.layers.toStdString();
    request.preserve = settings.preserve.toStdString();
    request.lambda = settings.lambda;
    request.targetKept = settings.targetKept;
    request.epochs = settings.epochs;
    request.out = m_workDir->filePath(QStringLiteral("trained%1.safetensors").arg(++m_circuitRuns)).toStdString();
    const bool demoImages = onImages && m_dataPath.isEmpty();
    m_training->clearSteps();
    m_training->setRunning(true);
    m_central->setCurrentWidget(m_training);
    const QString out = QString::fromStdString(request.out);
    m_trainJob = m_jobs->start<engine::SubnetworkReport>(
        QStringLiteral("train-mask"), tr("Train %1 mask").arg(QString::fromLatin1(engine::nameOf(settings.method)).toUpper()),
        tr("Cannot train the mask"),
        [request, demoImages](engine::JobContext& job) -> TrainResult {
            if (demoImages)
                if (auto st = ensureDemoImages(request.task); !st) return st.error();
            return engine::runTrainMask(request, job);
        },
        [this, settings, out](engine::SubnetworkReport& r) -> QString {
            m_trainJob = 0;
            m_training->setRunning(false);
            const QString granularity = QString::fromLatin1(engine::nameOf(settings.granularity));
            m_training->setResult(reportText(r, granularity, out));
            const QString what = settings.preserve.isEmpty() ? (settings.task.isEmpty() ? tr("images task") : QFileInfo(settings.task).fileName())
                                                             : settings.preserve;
            Q_EMIT maskTrained(out, tr("%1 %2 mask, %3").arg(QString::fromLatin1(engine::nameOf(settings.method)).toUpper(), granularity, what),
                               tr("%1 of %2").arg(r.kept).arg(r.total));
            return {};
        },
        [this](const QString& message) {
            m_trainJob = 0;
            m_training->setRunning(false);
            m_training->setResult(tr("Failed: %1").arg(message));
        },
        [this](std::vector<std::any>& partial) {
            std::vector<engine::MaskStep> steps;
            for (auto& p : partial)
                if (const auto* step = std::any_cast<engine::MaskStep>(&p)) steps.push_back(*step);
            if (!steps.empty()) m_training->addSteps(steps);
        });
}

}  // namespace cx::app
