#include "app/gui/data_controller.h"

#include <QFileDialog>
#include <QFileInfo>

#include "app/gui/demo_images.h"
#include "app/gui/job_runner.h"
#include "app/gui/session.h"
#include "engine/data/data_preview.h"
#include "engine/diagram/node_images.h"
#include "engine/model/model.h"
#include "widgets/data_panel.h"

namespace cx::app {
namespace {
using PreviewResult = engine::Result<engine::DataPreview>;
using UnitsResult = engine::Result<engine::UnitActivations>;
constexpr int kThumbnails = 24;
}  // namespace

DataController::DataController(Session& session, JobRunner& jobs, widgets::DataPanel* panel, QObject* parent)
    : Controller(session, jobs, parent), m_panel(panel) {
    connect(panel, &widgets::DataPanel::demoRequested, this, [this] { setData({}); });
    connect(panel, &widgets::DataPanel::chooseFolderRequested, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(m_panel, tr("Choose an Image Folder"));
        if (!dir.isEmpty()) setData(dir);
    });
    connect(panel, &widgets::DataPanel::chooseFileRequested, this, [this] {
        const QString file = QFileDialog::getOpenFileName(m_panel, tr("Choose an Image or Token File"), QString(),
                                                          tr("Safetensors files: images, or token ids (*.safetensors)"));
        if (!file.isEmpty()) setData(file);
    });
    connect(panel, &widgets::DataPanel::unitPicked, this, &DataController::unitPicked);
}

void DataController::modelOpened() {
    m_panel->clearUnits();
    m_unitsLayer.clear();
}

void DataController::layerSelected(int index) {
    const auto& model = m_session.model();
    if (model && index >= 0 && index < int(model->summary().layers.size()))
        showUnits(QString::fromStdString(model->summary().layers[size_t(index)].name));
}

void DataController::setData(const QString& path) {
    m_session.setDataPath(path);
    const bool demo = path.isEmpty();
    m_jobs.start<engine::DataPreview>(
        QStringLiteral("preview"), tr("Preview %1").arg(demo ? tr("demo shapes") : QFileInfo(path).fileName()), tr("Cannot read the images"),
        [file = m_session.imagesForJobs().toStdString(), demo](engine::JobContext&) -> PreviewResult {
            if (demo)
                if (auto st = ensureDemoImages(file); !st) return st.error();
            return engine::previewImages(file, kThumbnails);
        },
        [this, path](engine::DataPreview& preview) -> QString {
            m_panel->setPreview(path.isEmpty() ? QString() : QFileInfo(path).fileName(), preview);
            return {};
        });
    if (!m_unitsLayer.isEmpty()) showUnits(m_unitsLayer);
}

void DataController::showUnits(const QString& layer) {
    if (!m_session.isOpen()) return;
    m_unitsLayer = layer;
    m_panel->clearUnits(tr("Measuring the units of %1\u2026").arg(layer));
    m_jobs.start<engine::UnitActivations>(
        QStringLiteral("units"), tr("Units of %1").arg(layer), QString(),  // shown in the panel, no dialog
        [ws = m_session.workspace(), images = m_session.imagesForJobs().toStdString(), name = layer.toStdString(),
         demo = m_session.usesDemoImages()](engine::JobContext& job) -> UnitsResult {
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
            m_panel->setUnits(units);
            return {};
        },
        [this](const QString& message) { m_panel->clearUnits(tr("Cannot measure the units: %1").arg(message)); });
}

}  // namespace cx::app
