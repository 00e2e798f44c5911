#include "app/gui/masks_controller.h"

#include <QFileDialog>
#include <QRegularExpression>

#include "app/gui/file_copy.h"
#include "app/gui/job_runner.h"
#include "app/gui/session.h"
#include "engine/masks/subnetworks.h"
#include "engine/pruning/pruning.h"
#include "widgets/mask_list.h"
#include "widgets/overlap_view.h"

namespace cx::app {
namespace {

using OverlapResult = engine::Result<std::vector<engine::OverlapLine>>;

// A mask of this session from memory, or the file read on the workspace.
engine::Result<engine::MaskHandle> maskOf(engine::Workspace& ws, const engine::MaskHandle& inMemory, const std::string& path) {
    if (inMemory) return inMemory;
    return engine::readMask(ws, path);
}

}  // namespace

MasksController::MasksController(Session& session, JobRunner& jobs, widgets::MaskList* list, widgets::OverlapView* overlap,
                                 QObject* parent)
    : Controller(session, jobs, parent), m_list(list), m_overlap(overlap) {
    connect(list, &widgets::MaskList::saveRequested, this, [this](const QString& path, const QString& name) { chooseSave(path, name, false); });
    connect(list, &widgets::MaskList::saveScoresRequested, this,
            [this](const QString& scores, const QString& name) { chooseSave(scores, name + QStringLiteral(" scores"), true); });
    connect(list, &widgets::MaskList::compareRequested, this, [this](const QString& a, const QString& b) {
        m_overlap->choose(a, b);
        compareMasks(a, b, m_overlap->by());
    });
    connect(list, &widgets::MaskList::masksChanged, this, [this] {
        QList<std::pair<QString, QString>> masks;
        for (const auto& m : m_list->masks()) masks.append({m.name, m.path});
        m_overlap->setMasks(masks);
    });
    connect(overlap, &widgets::OverlapView::compareRequested, this, &MasksController::compareMasks);
}

void MasksController::addTrained(const QString& path, const QString& name, const QString& summary) {
    m_list->addMask({name, path, QStringLiteral("learned"), summary, {}});
}

void MasksController::compareMasks(const QString& pathA, const QString& pathB, engine::OverlapBy by) {
    if (!m_session.isOpen()) return Q_EMIT errorRaised(tr("No model"), tr("Open the model the masks were made for first."));
    if (pathA.isEmpty()) return Q_EMIT errorRaised(tr("No mask"), tr("Find a circuit, train a mask or open a mask file to compare."));
    const QString other = pathB.isEmpty() ? pathA : pathB;
    const std::string a = pathA.toStdString(), b = other.toStdString();
    const engine::MaskHandle memoryA = m_session.maskInMemory(pathA), memoryB = m_session.maskInMemory(other);
    const QString nameA = m_list->nameOf(pathA), nameB = pathB.isEmpty() ? QString() : m_list->nameOf(pathB);
    Q_EMIT viewRequested(m_overlap);
    m_jobs.start<std::vector<engine::OverlapLine>>(
        QStringLiteral("overlap"), tr("Overlap of %1").arg(nameA), tr("Cannot compare the masks"),
        [ws = m_session.workspace(), a, b, memoryA, memoryB, by](engine::JobContext&) -> OverlapResult {
            auto maskA = maskOf(*ws, memoryA, a);
            if (!maskA) return maskA.error();
            auto maskB = maskOf(*ws, memoryB, b);
            if (!maskB) return maskB.error();
            return engine::maskOverlap(*ws, *maskA.value(), *maskB.value(), by);
        },
        [this, nameA, nameB](std::vector<engine::OverlapLine>& rows) -> QString {
            m_overlap->setRows(rows, nameA.isEmpty() ? tr("A") : nameA, nameB);
            return {};
        });
}

void MasksController::chooseSave(const QString& path, const QString& name, bool scores) {
    QString suggested = name;
    suggested.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("_"));
    const QString target = QFileDialog::getSaveFileName(m_list, scores ? tr("Save Scores") : tr("Save Mask"), suggested + QStringLiteral(".safetensors"),
                                                        scores ? tr("Scores (*.safetensors)") : tr("Masks (*.safetensors)"));
    if (target.isEmpty()) return;
    if (scores) saveScores(path, target);
    else saveMask(path, target);
}

bool MasksController::saveMask(const QString& path, const QString& target) { return copyOut(path, target, tr("Cannot save the mask")); }
bool MasksController::saveScores(const QString& path, const QString& target) { return copyOut(path, target, tr("Cannot save the scores")); }

bool MasksController::copyOut(const QString& path, const QString& target, const QString& failure) {
    // A session file is written the first time it is saved.
    if (const QString error = m_session.writeOut(path); !error.isEmpty()) {
        Q_EMIT errorRaised(failure, error);
        return false;
    }
    if (const QString error = copyFileAtomically(path, target); !error.isEmpty()) {
        Q_EMIT errorRaised(failure, error);
        return false;
    }
    Q_EMIT statusMessage(tr("Saved %1").arg(target));
    return true;
}

}  // namespace cx::app
