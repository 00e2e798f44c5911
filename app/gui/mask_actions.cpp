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

#include "app/gui/job_runner.h"
#include "app/gui/main_window.h"
#include "engine/subnetworks.h"
#include "widgets/mask_list.h"
#include "widgets/overlap_view.h"

namespace cx::app {
namespace {
using OverlapResult = engine::Result<std::vector<engine::OverlapLine>>;
}  // namespace

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

void MainWindow::compareMasks(const QString& pathA, const QString& pathB, const QString& by) {
    if (!m_model) return showError(tr("No model"), tr("Open the model the masks were made for first."));
    if (pathA.isEmpty()) return showError(tr("No mask"), tr("Find a circuit, train a mask or open a mask file to compare."));
    const std::string model = m_modelPath.toStdString(), a = pathA.toStdString(), b = (pathB.isEmpty() ? pathA : pathB).toStdString();
    const std::string grouping = by.toStdString();
    const QString nameA = m_masks->nameOf(pathA), nameB = pathB.isEmpty() ? QString() : m_masks->nameOf(pathB);
    m_central->setCurrentWidget(m_overlap);
    m_jobs->start(QStringLiteral("overlap"), tr("Overlap of %1").arg(nameA),
                  [model, a, b, grouping](engine::JobContext&) -> std::any {
                      return OverlapResult(engine::runOverlap(model, a, b, grouping));
                  },
                  [this, nameA, nameB](std::any& result) -> QString {
                      auto& rows = std::any_cast<OverlapResult&>(result);
                      if (!rows) {
                          const QString message = QString::fromStdString(rows.error().message);
                          showError(tr("Cannot compare the masks"), message);
                          return message;
                      }
                      m_overlap->setRows(rows.value(), nameA.isEmpty() ? tr("A") : nameA, nameB);
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

bool MainWindow::saveMask(const QString& path, const QString& target) {
    QFile source(path);
    QSaveFile out(target);  // atomic: the old file stays until the new one is complete
    if (!source.open(QIODevice::ReadOnly) || !out.open(QIODevice::WriteOnly) || out.write(source.readAll()) != source.size() ||
        !out.commit()) {
        showError(tr("Cannot save the mask"), tr("cannot write %1: %2").arg(target, out.errorString()));
        return false;
    }
    statusBar()->showMessage(tr("Saved %1").arg(target), 5000);
    return true;
}

}  // namespace cx::app
