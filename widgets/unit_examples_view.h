#pragma once
// A unit's dataset examples under the circuit diagram: a row of its top-activating patches in
// the model and a row in the circuit shown, best first, each with its activation. Hidden until
// a unit is shown; the close button hides it again.
#include <vector>

#include <QWidget>

#include "engine/diagram/node_image.h"

class QGridLayout;
class QLabel;

namespace cx::widgets {

struct ExampleRow {
    QString label;                            // "Model", "Circuit"
    std::vector<engine::NodeImage> patches;   // best first; activation and imageIndex set
};

class UnitExamplesView : public QWidget {
    Q_OBJECT
public:
    explicit UnitExamplesView(QWidget* parent = nullptr);

    /// "Finding the examples of ..." while a job runs.
    void showPending(const QString& unit);
    void showExamples(const QString& unit, const std::vector<ExampleRow>& rows, const QString& note);
    int rowCount() const { return int(m_rows.size()); }
    int patchCount(int row) const { return row < rowCount() ? int(m_rows[size_t(row)].patches.size()) : 0; }
    QString title() const;
    /// The unit shown or being found (empty before the first).
    QString unit() const { return m_unit; }

private:
    QLabel* m_title = nullptr;
    QGridLayout* m_grid = nullptr;
    std::vector<ExampleRow> m_rows;
    QString m_unit;
    void clearGrid();
};

}  // namespace cx::widgets
