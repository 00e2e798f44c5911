#pragma once
// The diagram's level of detail: the level of everything not expanded (blocks, layers, units
// with their top edges, every kernel), the top edges per unit, and while a unit is in focus the
// cone's depth, the "all edges" switch (with the count it would draw) and Back. It shows the
// current view's spec and emits the one asked for; the app draws it.
#include <QWidget>

#include "engine/diagram/diagram_types.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace cx::widgets {

class DetailBar : public QWidget {
    Q_OBJECT
public:
    explicit DetailBar(QWidget* parent = nullptr);

    /// Shows the spec and counts of a view (no signal).
    void setView(const engine::CircuitDiagram& view);
    QString countsText() const;

Q_SIGNALS:
    void detailRequested(const cx::engine::DetailSpec& spec);

private:
    QComboBox* m_level = nullptr;
    QSpinBox* m_topEdges = nullptr;
    QSpinBox* m_depth = nullptr;
    QCheckBox* m_allEdges = nullptr;
    QPushButton* m_back = nullptr;
    QLabel* m_counts = nullptr;
    QWidget* m_focusTools = nullptr;
    engine::DetailSpec m_spec;
    bool m_updating = false;

    void request(const engine::DetailSpec& spec);
};

}  // namespace cx::widgets
