"""The course's own machinery, apart from what students use in the lessons.

- :mod:`~cnn_course.tooling.cli`: the ``cnn-course`` command line.
- :mod:`~cnn_course.tooling.exercises`: ``exercises/`` generated from ``solutions/``.
- :mod:`~cnn_course.tooling.grading`: ``cnn-course grade`` for a student or a whole class, built
  from :mod:`~cnn_course.tooling.runner` (one student), :mod:`~cnn_course.tooling.sandbox`
  (isolation), :mod:`~cnn_course.tooling.scan` (reading answers without running them) and
  :mod:`~cnn_course.tooling.gradebook` (the reports).
- :mod:`~cnn_course.tooling.release`: the student edition of the course.
- :mod:`~cnn_course.tooling.doctor`: ``cnn-course doctor``.
- :mod:`~cnn_course.tooling.lab`: ``cnn-course lab`` (what ``bash course.sh lab`` runs), on the
  student's work folder kept by :mod:`~cnn_course.tooling.work_folder` (``cnn-course work``).
- :mod:`~cnn_course.tooling.clean_notebooks`: what a committed notebook holds (no stale
  outputs, the course's kernel); ``tools/clean_notebooks.py`` applies it.

Nothing here is imported by ``import cnn_course``; the checks the exercises call stay in
:mod:`cnn_course.checks`.
"""
