#include "app/gui/training_controller.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QLocale>

#include "app/gui/demo_images.h"
#include "app/gui/job_runner.h"
#include "app/gui/session.h"
#include "engine/masks/subnetworks.h"
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

engine::MaskTrainingSpec trainingSpec(const widgets::TrainSettings& settings, const QString& task) {
    engine::MaskTrainingSpec spec;
    spec.task = task.toStdString();
    spec.method = settings.method;
    spec.granularity = settings.granularity;
    spec.layers = settings.layers.toStdString();
    spec.preserve = settings.preserve.toStdString();
    spec.lambda = settings.lambda;
    spec.targetKept = settings.targetKept;
    spec.epochs = settings.epochs;
    return spec;
}

}  // namespace

TrainingController::TrainingController(Session& session, JobRunner& jobs, widgets::TrainingPanel* panel, QObject* parent)
    : Controller(session, jobs, parent), m_panel(panel) {
    connect(panel, &widgets::TrainingPanel::trainRequested, this, &TrainingController::trainMask);
    connect(panel, &widgets::TrainingPanel::cancelRequested, this, [this] {
        if (m_job) m_jobs.stop(m_job);
    });
    connect(panel, &widgets::TrainingPanel::chooseTaskFileRequested, this, [this] {
        const QString path = QFileDialog::getOpenFileName(m_panel, tr("Open Task File"), QString(), tr("Task files (*.safetensors);;All files (*)"));
        auto settings = m_panel->settings();
        if (!path.isEmpty()) settings.task = path;
        m_panel->setSettings(settings);
    });
}

void TrainingController::modelOpened(bool demoTransformer) {
    m_panel->setBuiltInTasks(demoTransformer ? QStringList{QStringLiteral("addition"), QStringLiteral("multiplication")} : QStringList{});
}

void TrainingController::trainMask(const widgets::TrainSettings& settings) {
    if (!m_session.isOpen()) return Q_EMIT errorRaised(tr("No model"), tr("Open a model before training a mask."));
    const bool onImages = settings.task.isEmpty();
    const engine::MaskTrainingSpec spec = trainingSpec(settings, onImages ? m_session.imagesForJobs() : settings.task);
    const QString out = m_session.newFile(QStringLiteral("trained"));
    const bool demoImages = onImages && m_session.usesDemoImages();
    m_panel->clearSteps();
    m_panel->setRunning(true);
    Q_EMIT viewRequested(m_panel);
    const QString method = QString::fromLatin1(engine::nameOf(settings.method)).toUpper();
    m_job = m_jobs.start<engine::SubnetworkReport>(
        QStringLiteral("train-mask"), tr("Train %1 mask").arg(method), tr("Cannot train the mask"),
        [ws = m_session.workspace(), spec, file = out.toStdString(), demoImages](engine::JobContext& job) -> TrainResult {
            if (demoImages)
                if (auto st = ensureDemoImages(spec.task); !st) return st.error();
            return engine::runTrainMask(*ws, spec, file, job);
        },
        [this, settings, out, method](engine::SubnetworkReport& r) -> QString {
            m_job = 0;
            m_panel->setRunning(false);
            const QString granularity = QString::fromLatin1(engine::nameOf(settings.granularity));
            m_panel->setResult(reportText(r, granularity, out));
            const QString what = settings.preserve.isEmpty() ? (settings.task.isEmpty() ? tr("images task") : QFileInfo(settings.task).fileName())
                                                             : settings.preserve;
            Q_EMIT maskTrained(out, tr("%1 %2 mask, %3").arg(method, granularity, what), tr("%1 of %2").arg(r.kept).arg(r.total));
            return {};
        },
        [this](const QString& message) {
            m_job = 0;
            m_panel->setRunning(false);
            m_panel->setResult(tr("Failed: %1").arg(message));
        },
        [this](std::vector<std::any>& partial) {
            std::vector<engine::MaskStep> steps;
            for (auto& p : partial)
                if (const auto* step = std::any_cast<engine::MaskStep>(&p)) steps.push_back(*step);
            if (!steps.empty()) m_panel->addSteps(steps);
        });
}

}  // namespace cx::app
