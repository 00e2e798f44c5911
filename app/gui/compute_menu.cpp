#include "app/gui/compute_menu.h"

#include <QActionGroup>
#include <QFile>
#include <QMenuBar>
#include <QSettings>
#include <QTimer>

#include "engine/core/runtime.h"

namespace cx::app {

void addComputeMenu(QMenuBar* bar, QLabel* deviceLabel) {
    auto* compute = bar->addMenu(QObject::tr("&Compute"));
    auto* devices = new QActionGroup(compute);
    const QString gpuText = engine::cudaAvailable() ? QObject::tr("&GPU (CUDA)") : QObject::tr("&GPU (CUDA; none found, runs on the CPU)");
    for (const auto& [choice, text] : {std::pair{QStringLiteral("auto"), gpuText}, std::pair{QStringLiteral("cpu"), QObject::tr("&CPU")}}) {
        auto* action = compute->addAction(text);
        action->setCheckable(true);
        action->setData(choice);
        action->setObjectName(QStringLiteral("device-") + choice);
        devices->addAction(action);
    }
    const QString saved = QSettings().value(QStringLiteral("compute/device")).toString();
    const QString initial = saved == QStringLiteral("cpu") || saved == QStringLiteral("auto") ? saved
                            : engine::defaultDevice() == "cpu" && engine::cudaAvailable() ? QStringLiteral("cpu")
                                                                                         : QStringLiteral("auto");
    auto choose = [deviceLabel](const QString& choice) {
        engine::setDeviceChoice(choice.toStdString());
        if (deviceLabel) deviceLabel->setText(QString::fromStdString(engine::deviceDescription()));
    };
    for (auto* action : devices->actions()) action->setChecked(action->data().toString() == initial);
    if (!saved.isEmpty()) choose(initial);
    QObject::connect(devices, &QActionGroup::triggered, compute, [choose](QAction* action) {
        QSettings().setValue(QStringLiteral("compute/device"), action->data().toString());
        choose(action->data().toString());
    });
}

QLabel* newDeviceLabel(QWidget* parent) { return new QLabel(QString::fromStdString(engine::deviceDescription()), parent); }

MemoryLabel::MemoryLabel(QWidget* parent) : QLabel(parent) {
    auto* timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, &MemoryLabel::refresh);
    timer->start(2000);
    refresh();
}

void MemoryLabel::refresh() {
    // Resident set size: pages in the second field of statm.
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly)) return;
    const auto fields = statm.readAll().split(' ');
    if (fields.size() < 2) return;
    const double mib = double(fields[1].toLongLong()) * 4096.0 / (1024.0 * 1024.0);
    setText(tr("Memory %1 MiB").arg(mib, 0, 'f', 0));
}

}  // namespace cx::app
