// MainWindow's masks: the Masks panel (every circuit found, mask trained or file opened this
// session, named), saving one under a chosen file name, and the Overlap tab's comparisons.
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>

#include "app/gui/job_runner.h"
#include "app/gui/main_window.h"
#include "engine/atomic_file.h"
#include "engine/safetensors.h"
#include "engine/subnetworks.h"
#include "widgets/mask_list.h"
#include "widgets/overlap_view.h"

namespace cx::app {
void MainWindow::buildMaskViews() {
    m_masks = new widgets::MaskList(this);
    auto* dock = new QDockWidget(tr("Masks"), this);
    dock->setObjectName(QStringLiteral("masksDock"));
    dock->setWidget(m_masks);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
    buildDataDock(dock);
    m_overlap = new widgets::OverlapView(m_central);
    m_central->addTab(m_overlap, tr("Overlap"));

    connect(m_masks, &widgets::MaskList::showRequested, this, [this](const QString& path) { openMask(path, false); });
    connect(m_masks, &widgets::MaskList::saveRequested, this, &MainWindow::chooseMaskSave);
    connect(m_masks, &widgets::MaskList::saveScoresRequested, this, [this](const QString& scores, const QString& name) {
        QString suggested = name + QStringLiteral(" scores");
        suggested.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("_"));
        const QString target = QFileDialog::getSaveFileName(this, tr("Save Scores"), suggested + QStringLiteral(".safetensors"),
                                                            tr("Scores (*.safetensors)"));
        if (!target.isEmpty()) saveScores(scores, target);
    });
    connect(m_masks, &widgets::MaskList::compareRequested, this, [this](const QString& a, const QString& b) {
        m_overlap->choose(a, b);
        compareMasks(a, b, m_overlap->by());
    });
    connect(m_masks, &widgets::MaskList::masksChanged, this, [this] {
        QList<std::pair<QString, QString>> masks;
        for (const auto& m : m_masks->masks()) masks.append({m.name, m.path});
        m_overlap->setMasks(masks);
    });
    connect(m_overlap, &widgets::OverlapView::compareRequested, this, &MainWindow::compareMasks);
    connect(this, &MainWindow::maskTrained, this, [this](const QString& path, const QString& name, const QString& summary) {
        m_masks->addMask({name, path, QStringLiteral("learned"), summary, {}});
    });
}

void MainWindow::compareMasks(const QString& pathA, const QString& pathB, engine::OverlapBy by) {
    if (!m_model) return showError(tr("No model"), tr("Open the model the masks were made for first."));
    if (pathA.isEmpty()) return showError(tr("No mask"), tr("Find a circuit, train a mask or open a mask file to compare."));
    const std::string model = m_modelPath.toStdString(), a = pathA.toStdString(), b = (pathB.isEmpty() ? pathA : pathB).toStdString();
    const QString nameA = m_masks->nameOf(pathA), nameB = pathB.isEmpty() ? QString() : m_masks->nameOf(pathB);
    m_central->setCurrentWidget(m_overlap);
    m_jobs->start<std::vector<engine::OverlapLine>>(
        QStringLiteral("overlap"), tr("Overlap of %1").arg(nameA), tr("Cannot compare the masks"),
        [model, a, b, by](engine::JobContext&) { return engine::runOverlap(model, a, b, by); },
        [this, nameA, nameB](std::vector<engine::OverlapLine>& rows) -> QString {
            m_overlap->setRows(rows, nameA.isEmpty() ? tr("A") : nameA, nameB);
            return {};
        });
}

void MainWindow::chooseMaskSave(const QString& path, const QString& name) {
    QString suggested = name;
    suggested.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("_"));
    const QString target = QFileDialog::getSaveFileName(this, tr("Save Mask"), suggested + QStringLiteral(".safetensors"),
                                                        tr("Masks (*.safetensors)"));
    if (!target.isEmpty()) saveMask(path, target);
}

bool MainWindow::saveMask(const QString& path, const QString& target) { return copyOut(path, target, tr("Cannot save the mask")); }
bool MainWindow::saveScores(const QString& path, const QString& target) { return copyOut(path, target, tr("Cannot save the scores")); }

bool MainWindow::copyOut(const QString& path, const QString& target, const QString& failure) {
    QFile source(path);
    if (!source.open(QIODevice::ReadOnly)) {
        showError(failure, tr("cannot read %1: %2").arg(path, source.errorString()));
        return false;
    }
    // The engine's atomic writer: it never replaces what is not a regular file and keeps the mode.
    const QByteArray bytes = source.readAll();
    if (auto st = engine::writeFileAtomic(target.toStdString(), bytes.constData(), size_t(bytes.size())); !st) {
        showError(failure, QString::fromStdString(st.error().message));
        return false;
    }
    statusBar()->showMessage(tr("Saved %1").arg(target), 5000);
    return true;
}

void MainWindow::openScores(const QString& path) {
    if (!m_model) return showError(tr("No model"), tr("Open the model the scores were made for first."));
    // The file says what it scored; the circuit is then pruned from it like a found one.
    auto file = engine::readSafetensors(path.toStdString());
    if (!file) return showError(tr("Cannot open the scores"), QString::fromStdString(file.error().message));
    const auto& meta = file.value().metadata;
    const auto get = [&](const char* key) {
        const auto it = meta.find(key);
        return it == meta.end() ? QString() : QString::fromStdString(it->second);
    };
    bool hasScores = false, hasMasks = false;  // a pruned mask keeps its scores too: it is not a scores file
    for (const auto& [key, blob] : file.value().tensors) {
        hasScores |= key.rfind("score/", 0) == 0;
        hasMasks |= key.rfind("mask/", 0) == 0;
    }
    if (get("format") != QLatin1String("cx-mask/1") || !hasScores || hasMasks || get("target").isEmpty())
        return showError(tr("Cannot open the scores"),
                         tr("%1 is not a scores file (cx score and Find Circuit write them: score/ tensors and a target, "
                            "no mask/ tensors; open masks with Open Mask)")
                             .arg(QFileInfo(path).fileName()));
    auto settings = m_circuit->settings();
    settings.target = get("target");
    settings.directionFile.clear();
    if (const QString direction = get("direction"); !direction.isEmpty()) {  // the coefficients, as a file the jobs read
        settings.directionFile = m_workDir->filePath(QStringLiteral("direction%1.txt").arg(++m_circuitRuns));
        QSaveFile out(settings.directionFile);
        if (!out.open(QIODevice::WriteOnly) || out.write(direction.toUtf8()) < 0 || !out.commit())
            return showError(tr("Cannot open the scores"), tr("cannot write %1").arg(settings.directionFile));
    }
    // The scores file's own record of how it was made (its metadata: an edge, parsed here).
    if (auto method = engine::parseCriterion(get("method").toStdString())) settings.criterion = method.value();
    if (auto granularity = engine::parseGranularity(get("granularity").toStdString())) settings.granularity = granularity.value();
    if (!get("objective").isEmpty()) settings.objective = get("objective");
    if (settings.criterion == engine::Criterion::Force) {  // FORCE scores prune only at the size they were made for
        bool recorded = false;
        const double size = get("force_sparsity").toDouble(&recorded);
        if (recorded) settings.sparsity = size;  // a file without it is refused by the prune, with the reason
        settings.minmax = get("force_minmax") == QLatin1String("true");
    }
    m_circuit->setSettings(settings);
    const QString key = settings.scoringKey() + QLatin1Char('|') + imagesForJobs();
    m_scoresByKey.insert(key, path);
    m_scoresInMemory.remove(key);  // the file opened is what prunes now
    findCircuit(settings);
}

}  // namespace cx::app
