#include "widgets/probe_panel.h"

#include <algorithm>
#include <cmath>

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "widgets/chart.h"

namespace cx::widgets {

ProbePanel::ProbePanel(QWidget* parent) : QWidget(parent) {
    m_unit = new QLineEdit(this);
    m_unit->setPlaceholderText(tr("layer:unit, e.g. features.conv4:27"));
    m_set = new QComboBox(this);
    m_set->addItem(tr("Arcs (radius \u00d7 rotation)"), QStringLiteral("arcs"));
    m_set->addItem(tr("Corners (arm \u00d7 rotation)"), QStringLiteral("corners"));
    m_set->addItem(tr("Lines (offset \u00d7 orientation)"), QStringLiteral("lines"));
    m_set->addItem(tr("Colours (brightness \u00d7 hue)"), QStringLiteral("colours"));
    m_rows = new QSpinBox(this);
    m_rows->setRange(1, 64);
    m_rows->setValue(8);
    m_columns = new QSpinBox(this);
    m_columns->setRange(1, 64);
    m_columns->setValue(24);
    m_measure = new QPushButton(tr("Measure"), this);
    m_measure->setToolTip(tr("Draw the probes inside the unit's receptive field and measure the unit on each, in the model "
                             "and in the circuit shown in the Circuit tab"));
    auto* form = new QHBoxLayout;
    form->addWidget(new QLabel(tr("Unit"), this));
    form->addWidget(m_unit, 2);
    form->addWidget(new QLabel(tr("Probes"), this));
    form->addWidget(m_set, 1);
    form->addWidget(new QLabel(tr("Grid"), this));
    form->addWidget(m_rows);
    form->addWidget(new QLabel(QStringLiteral("\u00d7"), this));
    form->addWidget(m_columns);
    form->addWidget(m_measure);
    m_caption = new QLabel(tr("Choose a unit and press Measure. Click a cell to prune a subcircuit for that one probe image."), this);
    m_caption->setWordWrap(true);
    auto* maps = new QHBoxLayout;
    for (int i = 0; i < 3; ++i) {
        auto* chart = m_maps[i] = new Chart(this);
        chart->setMinimumSize(200, 160);
        chart->plotLayout()->insertRow(0);
        m_titles[i] = new QCPTextElement(chart, QString());
        chart->plotLayout()->addElement(0, 0, m_titles[i]);
        m_colourMaps[i] = new QCPColorMap(chart->xAxis, chart->yAxis);
        QCPColorGradient ramp;  // blue low, white, red high: the cx probe heat maps' ramp
        ramp.setColorStopAt(0.0, QColor(59, 76, 192));
        ramp.setColorStopAt(0.5, QColor(247, 247, 247));
        ramp.setColorStopAt(1.0, QColor(180, 4, 38));
        m_colourMaps[i]->setInterpolate(false);
        auto* scale = new QCPColorScale(chart);
        chart->plotLayout()->addElement(1, 1, scale);
        m_colourMaps[i]->setColorScale(scale);  // the scale's gradient becomes the map's: set it after
        scale->setGradient(ramp);
        chart->yAxis->setRangeReversed(true);  // the first row on top, as the probes sheet
        chart->setVisible(false);  // until there is a surface to show
        maps->addWidget(chart, 1);
    }
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_caption);
    layout->addLayout(maps, 1);
    layout->addStretch();
    connect(m_measure, &QPushButton::clicked, this, &ProbePanel::measureRequested);
    connect(m_unit, &QLineEdit::returnPressed, this, &ProbePanel::measureRequested);
    for (int i = 0; i < 3; ++i)
        connect(m_maps[i], &QCustomPlot::mousePress, this, [this, i](QMouseEvent* event) {
            auto* map = qobject_cast<QCPColorMap*>(m_maps[i]->plottable(0));
            if (!map || m_surface.model.empty()) return;
            int column = 0, row = 0;
            map->data()->coordToCell(m_maps[i]->xAxis->pixelToCoord(event->position().x()),
                                     m_maps[i]->yAxis->pixelToCoord(event->position().y()), &column, &row);
            if (row >= 0 && column >= 0 && row < int(m_surface.rowValues.size()) && column < int(m_surface.columnValues.size()))
                pickCell(row, column);
        });
}

void ProbePanel::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    Q_EMIT shown();
}

void ProbePanel::setUnit(const QString& unit) { m_unit->setText(unit); }
QString ProbePanel::unit() const { return m_unit->text().trimmed(); }
QString ProbePanel::probeSet() const { return m_set->currentData().toString(); }
int ProbePanel::rows() const { return m_rows->value(); }
int ProbePanel::columns() const { return m_columns->value(); }
QString ProbePanel::caption() const { return m_caption->text(); }
void ProbePanel::setBusy(bool busy) { m_measure->setEnabled(!busy); }

void ProbePanel::pickCell(int r, int c) {
    if (r < 0 || c < 0 || r >= int(m_surface.rowValues.size()) || c >= int(m_surface.columnValues.size())) return;
    Q_EMIT cellPicked(r, c);
}

void ProbePanel::draw(int index, const QString& title, const std::vector<double>& values, bool symmetric) {
    Chart* chart = m_maps[index];
    QCPColorMap* map = m_colourMaps[index];
    chart->setVisible(!values.empty());
    m_titles[index]->setText(title);
    const int rows = int(m_surface.rowValues.size()), columns = int(m_surface.columnValues.size());
    map->data()->clear();
    if (values.empty() || rows == 0 || columns == 0) return chart->replot();
    map->data()->setSize(columns, rows);
    const auto step = [](const std::vector<double>& v) { return v.size() > 1 ? (v.back() - v.front()) / double(v.size() - 1) : 1.0; };
    const double dc = step(m_surface.columnValues), dr = step(m_surface.rowValues);
    map->data()->setRange(QCPRange(m_surface.columnValues.front(), m_surface.columnValues.back()),
                          QCPRange(m_surface.rowValues.front(), m_surface.rowValues.back()));
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < columns; ++c) map->data()->setCell(c, r, values[size_t(r * columns + c)]);
    if (symmetric) {
        double spread = 1e-12;
        for (double v : values) spread = std::max(spread, std::abs(v));
        map->setDataRange(QCPRange(-spread, spread));
    } else {
        map->rescaleDataRange(true);
    }
    chart->xAxis->setLabel(m_surface.columnName);
    chart->yAxis->setLabel(m_surface.rowName);
    chart->xAxis->setRange(m_surface.columnValues.front() - dc / 2, m_surface.columnValues.back() + dc / 2);
    chart->yAxis->setRange(m_surface.rowValues.front() - dr / 2, m_surface.rowValues.back() + dr / 2);
    chart->replot();
}

void ProbePanel::setSurface(const SurfaceData& surface) {
    m_surface = surface;
    setBusy(false);
    std::vector<double> difference;
    for (size_t i = 0; i < surface.circuit.size() && i < surface.model.size(); ++i) difference.push_back(surface.circuit[i] - surface.model[i]);
    const auto best = [&](const std::vector<double>& v) {
        const size_t i = size_t(std::max_element(v.begin(), v.end()) - v.begin());
        const size_t columns = std::max<size_t>(1, surface.columnValues.size());
        return tr("best %1 at %2 %3, %4 %5").arg(v[i], 0, 'g', 4).arg(surface.rowName).arg(surface.rowValues[i / columns], 0, 'g', 3)
            .arg(surface.columnName).arg(surface.columnValues[i % columns], 0, 'g', 3);
    };
    draw(0, tr("Model"), surface.model, false);
    draw(1, surface.circuit.empty() ? tr("Circuit (none shown)") : tr("Circuit"), surface.circuit, false);
    draw(2, tr("Circuit \u2212 model"), difference, true);
    QString text = tr("Model: %1.").arg(surface.model.empty() ? QString() : best(surface.model));
    if (!surface.circuit.empty()) text += tr(" %1: %2.").arg(surface.circuitCaption, best(surface.circuit));
    m_caption->setText(text + tr(" Each map over its own range; click a cell to prune a subcircuit for that probe."));
}

}  // namespace cx::widgets
