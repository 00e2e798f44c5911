#pragma once
// The Probes tab (seed 002's circle-detector study): a unit's activation surface over a probe
// set as heat maps - the model, the circuit, and their difference - side by side. Clicking a cell
// asks for the subcircuit of that one probe image. It draws what it is given; the app measures.
#include <vector>

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

class QCPColorMap;
class QCPTextElement;

namespace cx::widgets {

class Chart;

struct SurfaceData {
    QString rowName, columnName;                // "radius", "rotation"
    std::vector<double> rowValues, columnValues;
    std::vector<double> model, circuit;         // rows x columns, row-major; circuit may be empty
    QString circuitCaption;                     // what the circuit is
};

class ProbePanel : public QWidget {
    Q_OBJECT
public:
    explicit ProbePanel(QWidget* parent = nullptr);

    void setUnit(const QString& unit);
    QString unit() const;
    QString probeSet() const;  // arcs, corners, lines, colours
    int rows() const;
    int columns() const;
    void setBusy(bool busy);
    void setSurface(const SurfaceData& surface);
    const SurfaceData& surface() const { return m_surface; }
    QString caption() const;
    /// Asks for the subcircuit of the probe in row `r`, column `c` (what a click on a cell does).
    void pickCell(int r, int c);

Q_SIGNALS:
    void measureRequested();
    void cellPicked(int row, int column);
    /// The tab came into view (the app fills in the unit of the circuit shown).
    void shown();

protected:
    void showEvent(QShowEvent* event) override;

private:
    QLineEdit* m_unit = nullptr;
    QComboBox* m_set = nullptr;
    QSpinBox* m_rows = nullptr;
    QSpinBox* m_columns = nullptr;
    QPushButton* m_measure = nullptr;
    QLabel* m_caption = nullptr;
    Chart* m_maps[3] = {nullptr, nullptr, nullptr};  // model, circuit, difference
    QCPColorMap* m_colourMaps[3] = {nullptr, nullptr, nullptr};
    QCPTextElement* m_titles[3] = {nullptr, nullptr, nullptr};
    SurfaceData m_surface;
    void draw(int index, const QString& title, const std::vector<double>& values, bool symmetric);
};

}  // namespace cx::widgets
