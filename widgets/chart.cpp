#include "widgets/chart.h"

#include <memory>

#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>

namespace cx::widgets {
namespace {

QString commit(QSaveFile& file, const QString& path) {
    if (!file.commit()) return QObject::tr("cannot write %1: %2").arg(path, file.errorString());
    return {};
}

}  // namespace

Chart::Chart(QWidget* parent) : QCustomPlot(parent) {
    setMinimumSize(240, 180);
    setAntialiasedElements(QCP::aeAll);
    applyPalette();
}

QColor Chart::seriesColour(int index) {
    static const QColor colours[] = {{0, 114, 178}, {230, 159, 0}, {0, 158, 115}, {213, 94, 0},
                                     {136, 136, 136}, {204, 121, 167}, {86, 180, 233}, {240, 228, 66}};
    return colours[index % 8];
}

QString Chart::exportFilter() { return tr("PNG image (*.png);;SVG (*.svg);;PDF (*.pdf);;CSV data (*.csv)"); }

void Chart::applyPalette() {
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::WindowText), grid = pal.color(QPalette::Mid);
    setBackground(pal.brush(QPalette::Base));
    for (QCPAxisRect* rect : axisRects())
        for (QCPAxis* axis : rect->axes()) {
            axis->setBasePen(QPen(text, 1));
            axis->setTickPen(QPen(text, 1));
            axis->setSubTickPen(QPen(text, 1));
            axis->setTickLabelColor(text);
            axis->setLabelColor(text);
            axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
            axis->grid()->setSubGridPen(Qt::NoPen);
            axis->grid()->setZeroLinePen(Qt::NoPen);
        }
    QColor legendFill = pal.color(QPalette::Base);
    legendFill.setAlpha(215);  // data under the legend stays visible
    legend->setBrush(legendFill);
    legend->setTextColor(text);
    if (legend->borderPen().style() != Qt::NoPen) legend->setBorderPen(QPen(grid));
    replot(rpQueuedReplot);
}

void Chart::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange) applyPalette();
    QCustomPlot::changeEvent(event);
}

QString Chart::exportTo(const QString& path, const QString& csv) const {
    auto* self = const_cast<Chart*>(this);  // QCustomPlot draws through non-const calls
    const QString ext = QFileInfo(path).suffix().toLower();
    const int w = std::max(width(), 400), h = std::max(height(), 300);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return tr("cannot write %1: %2").arg(path, file.errorString());
    if (ext == QLatin1String("csv")) {
        file.write(csv.toUtf8());
    } else if (ext == QLatin1String("png")) {
        if (!self->toPixmap(w, h, 2.0).save(&file, "PNG")) return tr("cannot encode %1 as PNG").arg(path);
    } else if (ext == QLatin1String("svg") || ext == QLatin1String("pdf")) {
        std::unique_ptr<QPaintDevice> device;
        if (ext == QLatin1String("svg")) {
            auto svg = std::make_unique<QSvgGenerator>();
            svg->setOutputDevice(&file);
            svg->setSize(QSize(w, h));
            svg->setViewBox(QRect(0, 0, w, h));
            device = std::move(svg);
        } else {
            auto pdf = std::make_unique<QPdfWriter>(&file);
            pdf->setPageSize(QPageSize(QSizeF(w, h), QPageSize::Point));
            pdf->setPageMargins(QMarginsF(0, 0, 0, 0));
            pdf->setResolution(72);
            device = std::move(pdf);
        }
        QCPPainter painter;
        if (!painter.begin(device.get())) return tr("cannot draw into %1").arg(path);
        painter.setMode(QCPPainter::pmVectorized);
        painter.setMode(QCPPainter::pmNoCaching);
        self->toPainter(&painter, w, h);
        painter.end();
    } else {
        file.cancelWriting();
        return tr("unknown export format '.%1' (use .png, .svg, .pdf or .csv)").arg(ext);
    }
    return commit(file, path);
}

void exportChartWithDialog(QWidget* parent, const Chart* chart, const QString& suggestedName, const QString& csv) {
    const QString path = QFileDialog::getSaveFileName(parent, QObject::tr("Export Chart"), suggestedName, Chart::exportFilter());
    if (path.isEmpty()) return;
    const QString error = chart->exportTo(path, csv);
    if (!error.isEmpty()) QMessageBox::warning(parent, QObject::tr("Cannot export the chart"), error);
}

}  // namespace cx::widgets
