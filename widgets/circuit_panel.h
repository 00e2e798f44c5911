#pragma once
// The Circuit tab: a target and sparsity to search for, the diagram, and its tools (search a
// unit, fit, dead ends, export). It only emits intent; the app runs the jobs and calls back.
#include <QWidget>

#include "engine/diagram.h"

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace cx::widgets {

class DiagramView;

class CircuitPanel : public QWidget {
    Q_OBJECT
public:
    explicit CircuitPanel(QWidget* parent = nullptr);

    DiagramView* view() const { return m_view; }
    void setTarget(const QString& target);
    QString target() const;
    double sparsity() const;
    /// Shows a laid-out diagram with a one-line summary above it.
    void showDiagram(const engine::CircuitDiagram& diagram, const QString& summary);
    void setBusy(bool busy);

Q_SIGNALS:
    void findRequested(const QString& target, double sparsity);
    void exportRequested();

private:
    QLineEdit* m_target = nullptr;
    QDoubleSpinBox* m_sparsity = nullptr;
    QPushButton* m_find = nullptr;
    QPushButton* m_export = nullptr;
    QLineEdit* m_search = nullptr;
    QCheckBox* m_dead = nullptr;
    QLabel* m_summary = nullptr;
    DiagramView* m_view = nullptr;
};

}  // namespace cx::widgets
