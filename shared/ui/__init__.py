"""Qt widgets and app plumbing shared by the kiosk and the console.

- `fonts.install_cjk_font`, `theme.apply_theme` / `get_theme` / `render_qss`,
- `video_view.VideoView`, `screenshot.save_screenshot`,
- `runtime.run_app` / `wait_quit_requested` / `request_quit`.
"""
