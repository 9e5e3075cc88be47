# R reference values for tests/test_r_agreement.py (run by the test suite, one call per dataset).
#
#   Rscript survival_reference.R --data=cohort.csv --out=reference.json \
#     --reference=Chemo --treatment="ICIs + Chemo" --endpoints=os,pfs \
#     --covariates=age,sex,ecog --landmark=12 --tau=24
#
# The CSV follows the cohort contract (group, <endpoint>_months, <endpoint>_event,
# covariate columns). For each endpoint it writes, with R's survival package:
#   km        survfit() per arm and pooled: every time, n.risk, n.event, surv, std.err,
#             lower/upper for conf.type plain, log and log-log; quantile(, 0.5) per
#             conf.type; summary(, times = landmark) (log-log); rmean and se(rmean) at tau
#   reverse   survfit(Surv(time, 1 - event) ~ 1, conf.type = "log-log"), quantile 0.5
#   logrank   survdiff(): chisq, observed and expected per arm
#   cox       coxph(ties = "efron") of the arm alone ("arm") and of the arm with the
#             covariates ("multi"): coef, se, Wald CI and p, warnings; cox.zph() with
#             transform "km" and "identity"; the Schoenfeld residuals, var, model matrix
#             and g(t) for the pre-3.0 formula (computed in the test, not here)
# JSON is written by the small base-R serialiser below (jsonlite is not a Debian
# dependency of r-cran-survival; numbers are written with 17 significant digits, so
# nothing is lost; NA, NaN and +-Inf become null).
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
opt <- list(endpoints = "os", covariates = "", landmark = NA, tau = NA)
for (a in args) {
  m <- regmatches(a, regexec("^--([a-z_]+)=(.*)$", a))[[1]]
  if (length(m) != 3) stop("bad argument: ", a)
  opt[[m[2]]] <- m[3]
}
for (k in c("data", "out", "reference", "treatment")) if (is.null(opt[[k]])) stop("missing --", k)
split_list <- function(x) if (is.null(x) || x == "") character(0) else strsplit(x, ",", fixed = TRUE)[[1]]
endpoints <- split_list(opt$endpoints)
covariates <- split_list(opt$covariates)
landmark <- as.numeric(opt$landmark)
tau <- as.numeric(opt$tau)

# ---------------------------------------------------------------- JSON (base R)
json_num <- function(x) ifelse(is.na(x) | !is.finite(x), "null", sprintf("%.17g", x))
json_str <- function(x) {
  x <- gsub("\\", "\\\\", x, fixed = TRUE)
  x <- gsub("\"", "\\\"", x, fixed = TRUE)
  ifelse(is.na(x), "null", paste0("\"", x, "\""))
}
# A named list is an object, an unnamed list an array; an atomic vector is an array
# unless it has length 1 and is not wrapped in arr() (then a scalar).
arr <- function(x) structure(x, json_array = TRUE)
to_json <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    items <- vapply(x, to_json, "")
    if (!is.null(names(x))) return(paste0("{", paste0(json_str(names(x)), ":", items, collapse = ","), "}"))
    return(paste0("[", paste(items, collapse = ","), "]"))
  }
  if (is.matrix(x)) return(to_json(lapply(seq_len(nrow(x)), function(i) arr(unname(x[i, ])))))
  force_array <- isTRUE(attr(x, "json_array"))
  v <- if (is.logical(x)) ifelse(is.na(x), "null", ifelse(x, "true", "false"))
       else if (is.numeric(x)) json_num(as.numeric(x)) else json_str(as.character(x))
  if (length(v) == 1 && !force_array) v else paste0("[", paste(v, collapse = ","), "]")
}

# ---------------------------------------------------------------- data
d <- read.csv(opt$data, check.names = FALSE, stringsAsFactors = FALSE, na.strings = "")
d <- d[!is.na(d$group) & d$group %in% c(opt$reference, opt$treatment), , drop = FALSE]
d$treatment <- as.integer(d$group == opt$treatment)

km_block <- function(time, event) {
  out <- list(n = length(time), events = sum(event), last_time = max(time))
  fits <- list()
  for (ct in c("plain", "log", "log-log")) fits[[ct]] <- survfit(Surv(time, event) ~ 1, conf.type = ct)
  f <- fits[["log-log"]]
  out$time <- arr(f$time); out$n_risk <- arr(f$n.risk); out$n_event <- arr(f$n.event)
  out$surv <- arr(f$surv); out$std_err <- arr(f$std.err)
  out$band <- lapply(fits, function(g) list(lower = arr(g$lower), upper = arr(g$upper)))
  out$quantile <- lapply(fits, function(g) {
    q <- quantile(g, 0.5)
    list(median = unname(q$quantile), lower = unname(q$lower), upper = unname(q$upper))
  })
  if (!is.na(landmark)) {
    s <- summary(f, times = landmark, extend = TRUE)
    out$landmark <- list(time = landmark, surv = s$surv, lower = s$lower, upper = s$upper,
                         n_risk = s$n.risk)
  }
  if (!is.na(tau)) {
    tab <- summary(fits[["log"]], rmean = tau)$table
    out$rmean <- list(tau = tau, rmean = unname(tab["rmean"]), se = unname(tab["se(rmean)"]))
  }
  out
}

cox_block <- function(data, terms) {
  rhs <- paste(c("treatment", sprintf("`%s`", terms)), collapse = " + ")
  form <- as.formula(paste("Surv(time, event) ~", rhs))
  caught <- character(0)
  fit <- withCallingHandlers(
    coxph(form, data = data, ties = "efron", x = TRUE),
    warning = function(w) { caught <<- c(caught, conditionMessage(w)); invokeRestart("muffleWarning") })
  s <- summary(fit)
  cf <- s$coefficients
  out <- list(formula = paste(deparse(form), collapse = " "), n = fit$n, nevent = fit$nevent,
              iter = fit$iter, loglik = arr(fit$loglik), warnings = arr(caught),
              term = arr(gsub("`", "", names(fit$coefficients))),
              coef = arr(unname(fit$coefficients)),
              se = arr(unname(sqrt(diag(fit$var)))),
              hr = arr(unname(exp(fit$coefficients))),
              p = arr(unname(cf[, "Pr(>|z|)"])),
              lower = arr(unname(s$conf.int[, "lower .95"])),
              upper = arr(unname(s$conf.int[, "upper .95"])))
  if (!any(is.na(fit$coefficients))) {
    out$zph <- list()
    for (tr in c("km", "identity")) {
      z <- cox.zph(fit, transform = tr, terms = FALSE)
      out$zph[[tr]] <- list(term = arr(rownames(z$table)), chisq = arr(unname(z$table[, "chisq"])),
                            p = arr(unname(z$table[, "p"])))
    }
    # ingredients of the survival < 3.0 statistic (Grambsch & Therneau 1994), for the test
    sres <- resid(fit, type = "schoenfeld")
    if (is.null(dim(sres))) sres <- matrix(sres, ncol = 1)
    tt <- sort(fit$y[fit$y[, 2] == 1, 1])  # one row per event, in time order
    stopifnot(length(tt) == nrow(sres))
    km <- survfit(Surv(time, event) ~ 1, data = data[rownames(fit$x), ])
    out$schoenfeld <- list(time = arr(tt), resid = sres, var = fit$var,
                           g_km = arr(1 - summary(km, times = tt)$surv))
    out$design <- list(time = arr(unname(fit$y[, 1])), event = arr(unname(fit$y[, 2])), x = unname(fit$x))
  }
  out
}

result <- list(R = R.version.string, survival = as.character(packageVersion("survival")),
               n = nrow(d), endpoints = list())
for (ep in endpoints) {
  tcol <- paste0(ep, "_months"); ecol <- paste0(ep, "_event")
  e <- d[!is.na(d[[tcol]]) & !is.na(d[[ecol]]), , drop = FALSE]
  e$time <- e[[tcol]]; e$event <- e[[ecol]]
  block <- list(km = list(pooled = km_block(e$time, e$event),
                          reference = km_block(e$time[e$treatment == 0], e$event[e$treatment == 0]),
                          treatment = km_block(e$time[e$treatment == 1], e$event[e$treatment == 1])))
  rev <- quantile(survfit(Surv(time, 1 - event) ~ 1, data = e, conf.type = "log-log"), 0.5)
  block$reverse <- list(median = unname(rev$quantile), lower = unname(rev$lower), upper = unname(rev$upper))
  sd <- survdiff(Surv(time, event) ~ treatment, data = e)
  block$logrank <- list(chisq = sd$chisq, p = pchisq(sd$chisq, 1, lower.tail = FALSE),
                        observed = arr(unname(sd$obs)), expected = arr(unname(sd$exp)))
  block$cox <- list(arm = cox_block(e, character(0)))
  if (length(covariates)) {
    cc <- e[complete.cases(e[, covariates, drop = FALSE]), , drop = FALSE]
    block$cox$multi <- cox_block(cc, covariates)
  }
  result$endpoints[[ep]] <- block
}
writeLines(to_json(result), opt$out)
