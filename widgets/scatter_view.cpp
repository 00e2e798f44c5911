#include "widgets/scatter_view.h"

#include <algorithm>

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

#include "widgets/chart.h"

namespace cx::widgets {

ScatterView::ScatterView(QWidget* parent) : QWidget(parent) {
    m_chart = new Chart(this);
    m_chart->xAxis->setLabel(tr("original activation"));
    m_chart->yAxis->setLabel(tr("circuit activation"));
    m_caption = new QLabel(tr("Activation scatter: find a circuit"), this);
    m_caption->setMinimumWidth(60);
    m_caption->setWordWrap(true);
    auto* exportButton = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("Export\u2026"), this);
    exportButton->setToolTip(tr("Save the scatter as PNG, SVG, PDF or CSV"));
    auto* bar = new QHBoxLayout;
    bar->addWidget(m_caption, 1);
    bar->addWidget(exportButton, 0, Qt::AlignTop);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_chart, 1);
    connect(exportButton, &QPushButton::clicked, this,
            [this] { exportChartWithDialog(this, m_chart, QStringLiteral("activations.png"), csv()); });
}

void ScatterView::clear() { setData({}, {}, 0.0, tr("Activation scatter: find a circuit")); }

void ScatterView::setData(const std::vector<float>& original, const std::vector<float>& circuit, double pearson,
                          const QString& title) {
    m_original = original;
    m_circuit = circuit;
    m_chart->clearGraphs();
    const size_t n = std::min(original.size(), circuit.size());
    m_caption->setText(n ? tr("%1: |r| = %2 over %3 values").arg(title).arg(pearson, 0, 'f', 3).arg(n) : title);
    if (n) {
        const auto [xMin, xMax] = std::minmax_element(original.begin(), original.begin() + long(n));
        const auto [yMin, yMax] = std::minmax_element(circuit.begin(), circuit.begin() + long(n));
        const double lo = std::min(*xMin, *yMin), hi = std::max({double(*xMax), double(*yMax), lo + 1e-6});
        const double pad = 0.04 * (hi - lo);
        QCPGraph* diagonal = m_chart->addGraph();
        diagonal->setPen(QPen(palette().color(QPalette::Mid), 1, Qt::DashLine));
        diagonal->setData({lo - pad, hi + pad}, {lo - pad, hi + pad});
        QCPGraph* dots = m_chart->addGraph();
        dots->setLineStyle(QCPGraph::lsNone);
        QColor colour = Chart::seriesColour(0);
        colour.setAlpha(90);  // dense clouds stay readable
        dots->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colour, colour, 3));
        QVector<double> x(static_cast<qsizetype>(n)), y(static_cast<qsizetype>(n));
        for (size_t i = 0; i < n; ++i) {
            x[qsizetype(i)] = original[i];
            y[qsizetype(i)] = circuit[i];
        }
        dots->setData(x, y);
        m_chart->xAxis->setRange(lo - pad, hi + pad);
        m_chart->yAxis->setRange(lo - pad, hi + pad);
    }
    m_chart->replot();
}

QString ScatterView::caption() const { return m_caption->text(); }

QString ScatterView::csv() const {
    QString out = QStringLiteral("original,circuit\n");
    for (size_t i = 0; i < std::min(m_original.size(), m_circuit.size()); ++i)
        out += QStringLiteral("%1,%2\n").arg(double(m_original[i]), 0, 'g', 9).arg(double(m_circuit[i]), 0, 'g', 9);
    return out;
}

}  // namespace cx::widgets
