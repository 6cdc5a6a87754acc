/** The learning-rate schedules live in the train-settings schema (compiler/train/schedules.ts). */
export {
  DEFAULT_SCHEDULE,
  learningRate,
  SCHEDULES,
  type ScheduleConfig,
  type ScheduleKind,
} from '../../compiler/train/schedules.js';
