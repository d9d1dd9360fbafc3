import { Component } from '@angular/core';

@Component({ selector: 'app-stub', template: '<p>JobsList</p>' })
export class JobsList {}
