"""Demand forecasts from history: arrivals per half-hour and channel, with an 80% interval and a back-test.

A planner's first question is what demand will be next week.  This package reads a
history - interval counts, a call log or a service-request log
(:mod:`sim.forecast.history`, :mod:`sim.forecast.logs`) - and forecasts a range of
days per half-hour, per channel (and category), in two steps, as the call-centre
forecasting literature does:

1. **Daily totals.**  The log of each open day's total follows a structural
   time-series model (statsmodels ``UnobservedComponents``; Harvey 1989,
   *Forecasting, Structural Time Series Models and the Kalman Filter*) with
   calendar regressors: the weekday, public holidays (the ``holidays``
   package), the first three working days after a closure or a holiday, the
   first and last working day of the month, the centre's own events
   (:mod:`sim.forecast.daytypes`, :mod:`sim.forecast.calendar`).  The level is
   fixed with an AR(1) day effect - the model of daily call volumes of Weinberg,
   Brown & Stroud (2007, "Bayesian forecasting of an inhomogeneous Poisson
   process with applications to call center data", JASA 102(480)) - or a local
   level with or without it (:mod:`sim.forecast.daily`).  Days without data are
   missing values, never zeros; days the centre does not open are not in the
   series and are forecast closed.
2. **Intraday profile.**  Each day's total is spread over its half-hours by the
   day type's profile, shrunk towards the pooled profile where days of the type
   are few (Weinberg et al. 2007; Shen & Huang 2008, "Interday forecasting and
   intraday updating of call center arrivals", M&SOM 10(3); Taylor 2008, "A
   comparison of univariate time series methods for forecasting intraday
   arrivals at a call center", Management Science 54(2), which finds the
   simple total-times-profile hard to beat a day or more ahead)
   (:mod:`sim.forecast.profile`).

The 80% interval draws the day's total from the daily model's forecast
distribution and each half-hour from a negative binomial around its share
(:mod:`sim.forecast.model`).  The daily model and the profile's settings are
chosen by a rolling-origin back-test on the history itself (Tashman 2000, "Out-
of-sample tests of forecasting accuracy", Int. J. Forecasting 16), nested so that
the errors reported are those of the whole procedure, beside the two naive
forecasts planners use - the same weekday last week and the mean of the last four
same weekdays (:mod:`sim.forecast.backtest`, :mod:`sim.forecast.engine`).
The command (:mod:`sim.forecast.cli`) writes ``reports/forecast/NAME/``
(:mod:`sim.forecast.report`, :mod:`sim.forecast.page`).

It is a consumer like :mod:`sim.calibrate` (whose log readers it uses): nothing in
the simulator imports it, and statsmodels is imported only when a forecast runs.
"""
