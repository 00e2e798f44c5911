#pragma once
// The Compute menu (GPU or CPU, remembered) and the status bar's indicators: the device jobs run
// on and the process's resident memory.
#include <QLabel>

class QMenuBar;

namespace cx::app {

/// Adds the Compute menu; every job started after a change runs on the chosen device (one that
/// runs keeps its own). `deviceLabel` (may be null) shows the device chosen.
void addComputeMenu(QMenuBar* bar, QLabel* deviceLabel);

/// The device description, kept up to date by the Compute menu.
QLabel* newDeviceLabel(QWidget* parent);

/// Resident memory in MiB, refreshed every two seconds (from /proc/self/statm; Linux).
class MemoryLabel : public QLabel {
    Q_OBJECT
public:
    explicit MemoryLabel(QWidget* parent);

private:
    void refresh();
};

}  // namespace cx::app
