#include "widgets/overlap_view.h"

#include <algorithm>
#include <cmath>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QStyle>
#include <QToolTip>
#include <QVBoxLayout>

#include "widgets/chart.h"
#include "widgets/form_helpers.h"

namespace cx::widgets {
namespace {

int64_t total(const engine::OverlapLine& r) { return r.onlyA + r.both + r.onlyB + r.neither; }

// Colours of seed 000's figure: A only, both, B only, neither.
const QColor kColours[] = {QColor(0, 114, 178), QColor(148, 103, 189), QColor(213, 94, 0), QColor(200, 200, 200)};

QSharedPointer<QCPAxisTickerText> rowTicker(const std::vector<engine::OverlapLine>& rows) {
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    for (size_t i = 0; i < rows.size(); ++i) ticker->addTick(double(i), QString::fromStdString(rows[i].layer));
    return ticker;
}

}  // namespace

OverlapView::OverlapView(QWidget* parent) : QWidget(parent) {
    m_a = new QComboBox(this);
    m_b = new QComboBox(this);
    m_a->setToolTip(tr("Mask A"));
    m_b->setToolTip(tr("Mask B (none: show what mask A keeps and removes)"));
    m_a->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_b->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_a->setMinimumContentsLength(14);
    m_b->setMinimumContentsLength(14);
    m_by = new QComboBox(this);
    m_by->addItem(tr("per layer"), QStringLiteral("layer"));
    m_by->addItem(tr("per block (heads, MLPs)"), QStringLiteral("block"));
    m_by->addItem(tr("per tensor"), QStringLiteral("tensor"));
    m_by->setToolTip(tr("One bar per layer, per attention head / MLP block, or per parameter tensor"));
    auto* compare = new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload), tr("Compare"), this);
    compare->setToolTip(tr("Count the units both masks keep, layer by layer"));
    auto* exportButton = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("Export\u2026"), this);
    exportButton->setToolTip(tr("Save the overlap bars as PNG, SVG, PDF or CSV"));
    m_caption = new QLabel(tr("Choose masks to compare (masks appear here as you find or train them)."), this);
    m_caption->setWordWrap(true);

    m_chart = new Chart(this);
    m_chart->xAxis->setLabel(tr("fraction of units"));
    m_chart->xAxis->setRange(0, 1);
    m_chart->legend->setVisible(true);
    m_chart->axisRect()->insetLayout()->take(m_chart->legend);  // legend above the bars, never on them
    m_chart->plotLayout()->insertRow(0);
    m_chart->plotLayout()->addElement(0, 0, m_chart->legend);
    m_chart->plotLayout()->setRowStretchFactor(0, 0.001);
    m_chart->legend->setFillOrder(QCPLegend::foColumnsFirst);
    m_chart->legend->setBorderPen(Qt::NoPen);
    m_chart->setMouseTracking(true);
    m_iou = new Chart(this);
    m_iou->xAxis->setLabel(tr("IoU"));
    m_iou->xAxis->setRange(0, 1);
    m_iou->plotLayout()->insertRow(0);  // a title row as tall as the bars' legend keeps the rows aligned
    m_iou->plotLayout()->addElement(0, 0, new QCPTextElement(m_iou, tr("IoU per row")));

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("A"), this));
    bar->addWidget(m_a, 1);
    bar->addWidget(new QLabel(tr("B"), this));
    bar->addWidget(m_b, 1);
    bar->addWidget(m_by);
    bar->addWidget(compare);
    bar->addWidget(exportButton);
    auto* charts = new QSplitter(Qt::Horizontal, this);
    charts->addWidget(m_chart);
    charts->addWidget(m_iou);
    charts->setStretchFactor(0, 3);
    charts->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(m_caption);
    layout->addWidget(charts, 1);

    connect(compare, &QPushButton::clicked, this,
            [this] { Q_EMIT compareRequested(m_a->currentData().toString(), m_b->currentData().toString(), by()); });
    connect(exportButton, &QPushButton::clicked, this,
            [this] { exportChartWithDialog(this, m_chart, QStringLiteral("overlap.png"), csv()); });
    connect(m_chart, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
        const int row = rowAt(event->position());
        if (row < 0) return QToolTip::hideText();
        QToolTip::showText(event->globalPosition().toPoint(), describe(row), m_chart);
    });
    setMasks({});
}

void OverlapView::setMasks(const QList<std::pair<QString, QString>>& masks) {
    const QString a = m_a->currentData().toString(), b = m_b->currentData().toString();
    m_a->clear();
    m_b->clear();
    m_b->addItem(tr("(none)"), QString());
    for (const auto& [name, path] : masks) {
        m_a->addItem(name, path);
        m_b->addItem(name, path);
    }
    choose(a, b);
}

void OverlapView::choose(const QString& pathA, const QString& pathB, std::optional<engine::OverlapBy> by) {
    if (const int i = m_a->findData(pathA); i >= 0) m_a->setCurrentIndex(i);
    const int j = m_b->findData(pathB);
    m_b->setCurrentIndex(std::max(j, 0));
    if (by) selectChoice(m_by, *by);
}

engine::OverlapBy OverlapView::by() const { return currentChoice(m_by, engine::parseOverlapBy, engine::OverlapBy::Layer); }

void OverlapView::setRows(const std::vector<engine::OverlapLine>& rows, const QString& nameA, const QString& nameB) {
    m_rows = rows;
    m_nameA = nameA;
    m_nameB = nameB;
    m_chart->clearPlottables();
    m_iou->clearPlottables();
    const QStringList labels = single() ? QStringList{tr("kept"), QString(), QString(), tr("removed")}
                                        : QStringList{tr("only %1").arg(nameA), tr("both"), tr("only %1").arg(nameB), tr("neither")};
    QCPBars* below = nullptr;
    for (int part = 0; part < 4; ++part) {
        if (single() && (part == 1 || part == 2)) continue;  // one mask: A only is "kept"
        auto* bars = new QCPBars(m_chart->yAxis, m_chart->xAxis);
        bars->setName(labels[part]);
        bars->setPen(Qt::NoPen);
        bars->setBrush(kColours[part]);
        bars->setWidth(0.7);
        if (below) bars->moveAbove(below);
        below = bars;
        for (size_t i = 0; i < rows.size(); ++i) {
            const auto& r = rows[i];
            const int64_t count = single() ? (part == 0 ? r.both : r.neither)
                                           : (part == 0 ? r.onlyA : part == 1 ? r.both : part == 2 ? r.onlyB : r.neither);
            bars->addData(double(i), double(count) / double(std::max<int64_t>(1, total(r))));
        }
    }
    for (Chart* chart : {m_chart, m_iou}) {
        chart->yAxis->setTicker(rowTicker(rows));
        chart->yAxis->setRange(-0.6, double(rows.size()) - 0.4);
        chart->yAxis->setRangeReversed(true);  // first layer at the top
    }
    m_iou->yAxis->setTickLabels(false);
    if (!single()) {
        auto* iou = new QCPBars(m_iou->yAxis, m_iou->xAxis);
        iou->setName(tr("IoU"));
        iou->setPen(Qt::NoPen);
        iou->setBrush(kColours[1]);
        iou->setWidth(0.7);
        for (size_t i = 0; i < rows.size(); ++i)
            if (!std::isnan(rows[i].iou)) iou->addData(double(i), rows[i].iou);  // undefined: no bar
    }
    m_iou->setVisible(!single());
    m_chart->legend->setVisible(!rows.empty());
    m_chart->setMinimumHeight(std::min(900, 80 + 22 * int(rows.size())));
    int64_t a = 0, both = 0, b = 0;
    for (const auto& r : rows) {
        a += r.onlyA;
        both += r.both;
        b += r.onlyB;
    }
    m_caption->setText(single() ? tr("%1: kept units per row (%2 rows)").arg(nameA).arg(rows.size())
                                : tr("%1 vs %2: %3 units kept by both, %4 only by %1, %5 only by %2; overall IoU %6")
                                      .arg(nameA, nameB)
                                      .arg(both)
                                      .arg(a)
                                      .arg(b)
                                      .arg(a + both + b == 0 ? tr("undefined (neither keeps a unit)")
                                                             : QString::number(double(both) / double(a + both + b), 'f', 3)));
    m_chart->replot();
    m_iou->replot();
}

int OverlapView::rowAt(const QPointF& pixel) const {
    if (m_rows.empty() || !m_chart->axisRect()->rect().contains(pixel.toPoint())) return -1;
    const int row = int(std::lround(m_chart->yAxis->pixelToCoord(pixel.y())));
    return row >= 0 && row < int(m_rows.size()) ? row : -1;
}

QString OverlapView::describe(int row) const {
    const auto& r = m_rows[size_t(row)];
    const QString name = QString::fromStdString(r.layer);
    if (single())
        return tr("<b>%1</b><br>kept %2, removed %3 of %4").arg(name).arg(r.both).arg(r.neither).arg(total(r));
    return tr("<b>%1</b><br>only %2: %3<br>both: %4<br>only %5: %6<br>neither: %7<br>IoU %8")
        .arg(name, m_nameA)
        .arg(r.onlyA)
        .arg(r.both)
        .arg(m_nameB)
        .arg(r.onlyB)
        .arg(r.neither)
        .arg(std::isnan(r.iou) ? (r.absentIn.empty() ? tr("undefined (neither keeps a unit)")
                                                    : tr("undefined (not in mask %1)").arg(QString::fromStdString(r.absentIn)))
                               : QString::number(r.iou, 'f', 3));
}

QString OverlapView::csv() const {
    QString out = QStringLiteral("row,only_a,both,only_b,neither,iou\n");
    for (const auto& r : m_rows)
        out += QStringLiteral("%1,%2,%3,%4,%5,%6\n")
                   .arg(QString::fromStdString(r.layer))
                   .arg(r.onlyA)
                   .arg(r.both)
                   .arg(r.onlyB)
                   .arg(r.neither)
                   .arg(std::isnan(r.iou) ? QString() : QString::number(r.iou, 'g', 9));
    return out;
}

}  // namespace cx::widgets
