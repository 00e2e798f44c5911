#pragma once
// A QCustomPlot that follows the application palette (light and dark) and exports itself as
// PNG, SVG, PDF or CSV, always atomically. Every chart view in the app is one of these.
#include <QString>

// qcustomplot.h spells Qt's keyword macros, which this project turns off (QT_NO_KEYWORDS) so
// that Qt and torch headers never clash; they are defined for this one header only.
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef emit
#undef foreach

namespace cx::widgets {

class Chart : public QCustomPlot {
    Q_OBJECT
public:
    explicit Chart(QWidget* parent = nullptr);

    /// Writes the chart by the file's extension: .png (2x the on-screen size), .svg, .pdf, or
    /// .csv (`csv`, the chart's data). Returns an error text, empty on success.
    QString exportTo(const QString& path, const QString& csv) const;
    /// Colours the background, axes, grid and legend from the widget's palette.
    void applyPalette();

    /// A distinct, colour-blind-friendly colour per series index (Okabe-Ito).
    static QColor seriesColour(int index);
    /// The file filter for export dialogs.
    static QString exportFilter();

protected:
    void changeEvent(QEvent* event) override;
};

/// Asks for a file and exports `chart`; errors go to a message box. For the charts' Export buttons.
void exportChartWithDialog(QWidget* parent, const Chart* chart, const QString& suggestedName, const QString& csv);

}  // namespace cx::widgets
