## make_reference.R -- reference boundaries for metarmc.tsa, computed with R/rpact.
##
## Run from the repository root:
##     Rscript validation/tsa/make_reference.R
## Writes validation/tsa/reference.json (see README.md in this folder).
##
## Every case is one rpact call, stored verbatim in "call" and evaluated exactly as
## written; "expected" holds what it returns:
##   critical_values  design$criticalValues   (efficacy boundaries, Z scale; null = Inf,
##                                              rpact's cap for boundaries it cannot resolve)
##   alpha_spent      design$alphaSpent       (cumulative alpha, both sides for sided = 2)
##   futility_bounds  design$futilityBounds   (looks 1..K-1; rpact floors them at -6)
##   shift            getDesignCharacteristics(design)$shift  (squared drift at t = 1)
##   inflation        getDesignCharacteristics(design)$inflationFactor

suppressPackageStartupMessages({
  library(rpact)
  library(jsonlite)
})

args_all <- commandArgs(trailingOnly = FALSE)
script_path <- sub("^--file=", "", args_all[grep("^--file=", args_all)])
out_dir <- if (length(script_path) == 1L) dirname(normalizePath(script_path)) else "validation/tsa"
out_file <- file.path(out_dir, "reference.json")

rates <- function(t) sprintf("c(%s)", paste(format(t, digits = 17), collapse = ", "))

efficacy_call <- function(t, alpha, sided) sprintf(
  'design <- getDesignGroupSequential(informationRates = %s, alpha = %s, sided = %d, typeOfDesign = "asOF")',
  rates(t), format(alpha), sided)

futility_call <- function(t, alpha, beta) paste(sprintf(
  paste('design <- getDesignGroupSequential(informationRates = %s, alpha = %s, beta = %s, sided = 1,',
        'typeOfDesign = "asOF", typeBetaSpending = "bsOF", bindingFutility = FALSE)'),
  rates(t), format(alpha), format(beta)),
  "characteristics <- getDesignCharacteristics(design)", sep = "\n")

## Information fractions: equal looks, unequal looks, and looks like a cumulative
## meta-analysis's (patients 34, 95, ..., 565 of a required 1,008, then the final look).
FRACTIONS <- list(
  k1 = 1,
  k3 = (1:3) / 3,
  k5 = (1:5) / 5,
  k10 = (1:10) / 10,
  unequal_a = c(0.13, 0.4, 0.7, 1),
  unequal_b = c(0.1, 0.25, 0.6, 1),
  meta_looks = c(c(34, 95, 136, 194, 241, 323, 422, 565) / 1008, 1)
)

cases <- list()
add_case <- function(id, kind, t, alpha, sided, beta, call) {
  env <- new.env()
  eval(parse(text = call), envir = env)
  design <- env$design
  expected <- list(critical_values = I(as.numeric(design$criticalValues)),
                   alpha_spent = I(as.numeric(design$alphaSpent)))
  if (!is.null(beta)) {
    expected$futility_bounds <- I(as.numeric(design$futilityBounds))
    expected$shift <- env$characteristics$shift
    expected$inflation <- env$characteristics$inflationFactor
  }
  cases[[length(cases) + 1L]] <<- list(id = id, kind = kind, information_rates = I(t), alpha = alpha,
                                        sided = sided, beta = beta, call = call, expected = expected)
}

for (name in names(FRACTIONS)) {
  t <- FRACTIONS[[name]]
  add_case(paste0("efficacy_2sided_", name), "efficacy", t, 0.05, 2L, NULL, efficacy_call(t, 0.05, 2L))
}
for (name in c("k5", "unequal_b", "meta_looks")) {
  t <- FRACTIONS[[name]]
  add_case(paste0("efficacy_1sided_", name), "efficacy", t, 0.025, 1L, NULL, efficacy_call(t, 0.025, 1L))
}
for (name in c("k3", "k5", "unequal_a", "unequal_b", "meta_looks")) {
  t <- FRACTIONS[[name]]
  add_case(paste0("futility_beta20_", name), "futility", t, 0.025, 1L, 0.2, futility_call(t, 0.025, 0.2))
}
add_case("futility_beta10_k5", "futility", FRACTIONS$k5, 0.025, 1L, 0.1, futility_call(FRACTIONS$k5, 0.025, 0.1))

out <- list(
  r_version = R.version.string,
  rpact_version = as.character(packageVersion("rpact")),
  jsonlite_version = as.character(packageVersion("jsonlite")),
  generated = format(Sys.Date()),
  notes = c(
    "ldbounds and gsDesign are not packaged in Debian bookworm; rpact (r-cran-rpact) is, and is used instead.",
    "typeOfDesign = 'asOF' is the Lan-DeMets O'Brien-Fleming-type function 2 - 2 Phi(z_{1-a/2} / sqrt(t)) of level a = alpha/sided per side; sided = 2 spends alpha/2 on each side.",
    "typeBetaSpending = 'bsOF' with bindingFutility = FALSE: non-binding beta-spending futility bounds, with the drift chosen so that the last futility bound meets the last efficacy bound.",
    "rpact integrates to an absolute accuracy of about 1e-9 in probability: where a look spends less than about 1e-4, its boundary is resolved only to that probability accuracy (and shown as Inf above about 8)."
  ),
  cases = cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), pretty = TRUE, null = "null", na = "null"), out_file)
cat("wrote", out_file, "with", length(cases), "cases\n")
