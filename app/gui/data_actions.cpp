// MainWindow's data: choosing the images jobs run on, their thumbnails, and the units of the
// selected layer with their mean activations (to pick a target).
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QStatusBar>
#include <QTabWidget>

#include "app/gui/demo_images.h"
#include "app/gui/job_runner.h"
#include "app/gui/main_window.h"
#include "engine/data_preview.h"
#include "widgets/data_panel.h"
#include "widgets/layer_tree_view.h"
#include "widgets/training_panel.h"

namespace cx::app {
namespace {
using PreviewResult = engine::Result<engine::DataPreview>;
using UnitsResult = engine::Result<engine::UnitActivations>;
constexpr int kThumbnails = 24;
}  // namespace

void MainWindow::buildDataDock(QDockWidget* below) {
    m_data = new widgets::DataPanel(this);
    auto* dock = new QDockWidget(tr("Data"), this);
    dock->setObjectName(QStringLiteral("dataDock"));
    dock->setWidget(m_data);
    tabifyDockWidget(below, dock);
    dock->raise();
    connect(m_data, &widgets::DataPanel::demoRequested, this, [this] { setData({}); });
    connect(m_data, &widgets::DataPanel::chooseFolderRequested, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Choose an Image Folder"));
        if (!dir.isEmpty()) setData(dir);
    });
    connect(m_data, &widgets::DataPanel::chooseFileRequested, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Choose an Image or Token File"), QString(),
                                                          tr("Safetensors files: images, or token ids (*.safetensors)"));
        if (!file.isEmpty()) setData(file);
    });
    connect(m_data, &widgets::DataPanel::unitPicked, this, [this](const QString& target) {
        m_circuit->setTarget(target);
        m_training->setDefaultPreserve(target);
        m_central->setCurrentWidget(m_circuit);
        statusBar()->showMessage(tr("Target %1: press Find Circuit or Sweep").arg(target), 5000);
    });
    connect(m_tree, &widgets::LayerTreeView::layerSelected, this, [this](int index) {
        if (m_model && index >= 0 && index < int(m_model->summary().layers.size()))
            showUnits(QString::fromStdString(m_model->summary().layers[size_t(index)].name));
    });
}

void MainWindow::setData(const QString& path) {
    m_dataPath = path;
    const QString images = imagesForJobs();
    const bool demo = path.isEmpty();
    m_jobs->start<engine::DataPreview>(
        QStringLiteral("preview"), tr("Preview %1").arg(demo ? tr("demo shapes") : QFileInfo(path).fileName()),
        tr("Cannot read the images"),
        [file = images.toStdString(), demo](engine::JobContext&) -> PreviewResult {
            if (demo)
                if (auto st = ensureDemoImages(file); !st) return st.error();
            return engine::previewImages(file, kThumbnails);
        },
        [this, path](engine::DataPreview& preview) -> QString {
            m_data->setPreview(path.isEmpty() ? QString() : QFileInfo(path).fileName(), preview);
            return {};
        });
    if (!m_unitsLayer.isEmpty()) showUnits(m_unitsLayer);
}

void MainWindow::showUnits(const QString& layer) {
    if (!m_model) return;
    m_unitsLayer = layer;
    m_data->clearUnits(tr("Measuring the units of %1\u2026").arg(layer));
    const bool demo = m_dataPath.isEmpty();
    m_jobs->start<engine::UnitActivations>(
        QStringLiteral("units"), tr("Units of %1").arg(layer), QString(),  // shown in the panel, no dialog
        [ws = m_workspace, images = imagesForJobs().toStdString(), name = layer.toStdString(), demo](engine::JobContext& job) -> UnitsResult {
            if (demo)
                if (auto st = ensureDemoImages(images); !st) return st.error();
            auto units = engine::unitMeanActivations(*ws, images, name, job);
            if (!units) return units.error();
            auto pictures = engine::layerUnitPictures(*ws, images, name, job);  // what each unit looks for
            if (!pictures) return pictures.error();
            units.value().pictures = pictures.take();
            return units;
        },
        [this](engine::UnitActivations& units) -> QString {
            m_data->setUnits(units);
            return {};
        },
        [this](const QString& message) { m_data->clearUnits(tr("Cannot measure the units: %1").arg(message)); });
}

}  // namespace cx::app
