#pragma once
// Small pieces shared by the tabs' control columns: combo boxes whose items carry the engine's
// names, and a column of group boxes that scrolls when the window is short.
#include <utility>

#include <QComboBox>
#include <QList>
#include <QString>
#include <QStyle>

#include "engine/core/options.h"

class QComboBox;
class QIcon;
class QWidget;

namespace cx::widgets {

/// A combo box of (label, value) items with a tooltip.
QComboBox* valueCombo(QWidget* parent, const QList<std::pair<QString, QString>>& items, const QString& tip);
/// Selects the item whose value is `value` (nothing changes when there is none).
void selectValue(QComboBox* box, const QString& value);

/// The current item of a combo whose values are the engine's names for an option, as that
/// option (`parse`: engine::parseCriterion, ...); `fallback` for an item that is not one.
template <typename E, typename Parse>
E currentChoice(const QComboBox* box, Parse parse, E fallback) {
    auto parsed = parse(box->currentData().toString().toStdString());
    return parsed ? parsed.value() : fallback;
}
/// Selects the item of an engine option (the item whose value is its name).
template <typename E>
void selectChoice(QComboBox* box, E value) {
    selectValue(box, QString::fromLatin1(engine::nameOf(value)));
}
/// The application's icon `name` (resources/icons/NAME.svg, compiled into the app), or the
/// style's `fallback` where the resources are not linked in (the widget tests).
QIcon appIcon(const QString& name, QStyle::StandardPixmap fallback);
/// The groups stacked at the top of a vertically scrolling column, as wide as they need.
QWidget* controlColumn(QWidget* parent, const QList<QWidget*>& groups);

}  // namespace cx::widgets
