"""The console's look for pygal charts shown as images (SVG without pygal's scripts): white ground, the
console's text colours and one accent, the system font at a readable size."""

from __future__ import annotations

from pygal.style import Style


def console_chart_style(font_size: int = 14) -> Style:
    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1b2430",
        foreground_strong="#1b2430",
        foreground_subtle="#c9d0da",
        colors=("#1f5fbf",),
        opacity="1",
        opacity_hover="1",
        font_family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
        label_font_size=font_size,
        major_label_font_size=font_size,
        value_font_size=font_size,
        value_label_font_size=font_size,
        no_data_font_size=round(font_size * 1.3),
    )
